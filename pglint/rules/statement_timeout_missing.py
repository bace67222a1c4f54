from ..engine.registry import Rule
from ._common import fitted, report
from ._fixes import UNSAFE
from .lock_timeout_missing import _NAMES, set_timeout_fix, unbounded_lock

RULE = Rule(
    "PG313", "statement-timeout-missing",
    summary="A lock stronger than SHARE UPDATE EXCLUSIVE on an existing table with no statement_timeout set",
    category="design", default=False, fix="sometimes",
)


@RULE.on(*_NAMES)
def check(ctx, node):
    found = unbounded_lock(ctx, "statement_timeout")
    if found is None:
        return
    e, rel, what = found
    # unsafe: a migration that legitimately runs longer than the bound is cancelled
    local, fix = set_timeout_fix(ctx, "statement_timeout", ctx.settings.fix_statement_timeout, UNSAFE)
    report(ctx,
        fitted(f"{what} holds {e.mode.with_article} lock on {rel} for as long as it runs, with no statement_timeout set",
               f"{what} holds {e.mode.with_article} lock on {rel} with no statement_timeout set",
               f"{what} locks {rel} {e.mode.label} without statement_timeout"),
        explanation=("If it runs longer than planned (a scan or rewrite of a table bigger than expected), it blocks "
                     f"{e.mode.blocks} for all that time and nothing stops it. Reported once per file."),
        relation=e, fix=fix,
        help=f"Bound how long the migration may block: {local} before the first locking statement (the longest "
             "blocking you accept), or set statement-timeout in the config if your migration runner sets it.",
    )

from ..engine.diagnostics import ERROR
from ..engine.registry import Rule
from ..model.transactions import ASSUMED, ONE_QUERY, refused_in_block
from ..source.tool_transactions import FLYWAY_OUTSIDE
from ._common import fitted, outside_tx_hint

RULE = Rule(
    "PG104", "concurrently-in-transaction",
    summary="A CONCURRENTLY operation inside a transaction block fails at run time",
    severity=ERROR, category="locking",
)


def _what(ctx, stmt, node):
    what = refused_in_block(stmt.type, node)
    return what if what is not None and "CONCURRENTLY" in what else None


def _only_statement(ctx, stmt) -> bool:
    tops = [s for s in ctx.parsed.statements if s.section == stmt.section]
    return len(tops) == 1


def _others(ctx) -> bool:
    """Whether the file holds a statement PostgreSQL runs in a transaction block (Flyway
    counts every statement, SET included, when it decides whether a migration is mixed)."""
    state = ctx.rule_state()
    if "mixed" not in state:
        version = ctx.settings.pg_version
        state["mixed"] = any(refused_in_block(s.type, s.node, version) is None for s in ctx.parsed.statements)
    return state["mixed"]


@RULE.on("IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt")
def check(ctx, node):
    stmt = ctx.stmt
    what = _what(ctx, stmt, node)
    if what is None:
        return
    if stmt.origin == "do":
        ctx.report(f"{what} cannot be executed from a function or DO block: this migration fails",
                   explanation="PostgreSQL refuses it there, as it runs inside the caller's transaction.",
                   help="Run the statement directly (not inside DO), outside a transaction block.")
        return
    info = ctx.txinfo
    tool = ctx.tool_tx
    if tool is FLYWAY_OUTSIDE and _others(ctx):
        if ctx.rule_state().get("flyway_reported"):
            return  # once per file: the first such statement
        ctx.rule_state()["flyway_reported"] = True
        ctx.report(fitted(f"{what} cannot run inside a transaction block, and Flyway runs this migration in one",
                          f"{what} cannot run in the transaction Flyway runs this migration in"),
                   explanation=(
                   "Flyway refuses a migration that mixes such a statement with others ('Detected both transactional "
                   "and non-transactional statements within the same migration') unless its `mixed` option is on, "
                   "and with `mixed` on it runs the whole migration without a transaction, so a failure half-way "
                   "leaves it half applied."),
                   help=f"Put {what.split(' ...')[0]} in a migration of its own (Flyway runs a migration whose "
                        "statements all refuse a transaction block without one). If `mixed` is on, mark this file "
                        "`-- pglint: no-transaction`.")
        return
    if info is None or not info.in_block:
        return
    if info.kind in (ASSUMED, ONE_QUERY):
        # PostgreSQL runs a query string of one statement outside a transaction block; a
        # tool that wraps the file in BEGIN ... COMMIT (diesel, goose, dbmate) does not care
        lone_outside = tool is not None and tool.lone_outside and not ctx.parsed.markers
        if lone_outside and _only_statement(ctx, stmt):
            return
        if ctx.parsed.markers:
            why = "the migration tool (goose/dbmate) runs this migration in a transaction"
        elif ctx.tool_tx is not None and ctx.tool_tx.mode is not None:
            why = ctx.tool_tx.how
        else:
            why = "the file runs inside a transaction (assume-in-transaction)"
    else:
        why = f"it is inside the transaction block opened at line {ctx.line_of(info.begin_offset)}"
    ctx.report(fitted(f"{what} cannot run inside a transaction block, and {why}",
                      f"{what} cannot run inside a transaction block, and this file runs in one"),
               explanation=(f"Here, {why.split(' opened at line ')[0]}: the migration fails with \"... cannot "
                            "run inside a transaction block\"."),
               help=f"Run it outside any transaction: {outside_tx_hint(ctx)}.")

from ..engine.registry import Rule
from ._common import fitted, is_schema_dump
from ..model.locks import Lock, alter_table_cmds
from ._fixes import DISPLAY_ONLY, SAFE, Fix, indent_at, insert_before, newline

RULE = Rule(
    "PG113", "lock-timeout-missing",
    summary="A lock stronger than SHARE UPDATE EXCLUSIVE on an existing table with no lock_timeout set",
    category="locking", fix="sometimes",
)

_NAMES = {
    "AlterTableStmt": "ALTER TABLE", "IndexStmt": "CREATE INDEX", "DropStmt": "DROP", "ReindexStmt": "REINDEX",
    "VacuumStmt": "VACUUM FULL", "ClusterStmt": "CLUSTER", "TruncateStmt": "TRUNCATE", "CreateStmt": "CREATE TABLE",
    "RenameStmt": "RENAME", "AlterObjectSchemaStmt": "SET SCHEMA", "LockStmt": "LOCK", "RefreshMatViewStmt":
    "REFRESH MATERIALIZED VIEW", "ViewStmt": "CREATE OR REPLACE VIEW", "CreateTrigStmt": "CREATE TRIGGER",
    "CreatePolicyStmt": "CREATE POLICY", "AlterPolicyStmt": "ALTER POLICY", "RuleStmt": "CREATE RULE",
    "AlterTableMoveAllStmt": "ALTER ... ALL IN TABLESPACE",
}


def set_timeout_fix(ctx, name: str, value: str, applicability: str) -> tuple[str, Fix]:
    """``SET [LOCAL] <name> = '<value>';`` on its own line before the current top-level
    statement (LOCAL inside a transaction block)."""
    local = f"SET LOCAL {name} = '{value}';" if ctx.in_transaction else f"SET {name} = '{value}';"
    top = ctx.stmt.top
    if ctx.in_transaction and ctx.concurrently_can_run() and _has_concurrent_form(top):
        # the file's only statement, which its tool runs outside a transaction block only
        # while it is alone: another fix makes it CONCURRENTLY, and a SET beside it would put
        # that in a transaction block (a query string of two statements, a mixed Flyway file)
        applicability = DISPLAY_ONLY
    return local, Fix(f"Set {name} before the first locking statement ({local})",
                      (insert_before(top.start, local + newline(ctx) + indent_at(ctx, top.start)),), applicability)


def _has_concurrent_form(stmt) -> bool:
    """Whether a CONCURRENTLY form of the statement exists (the concurrent-index rules fix it so)."""
    t, node = stmt.type, stmt.node
    if t in ("IndexStmt", "ReindexStmt"):
        return True
    if t == "DropStmt":
        return node.get("removeType") == "OBJECT_INDEX"
    if t == "AlterTableStmt":
        return any(c.get("subtype") == "AT_DetachPartition" for c in alter_table_cmds(node))
    return False


def unbounded_lock(ctx, setting: str):
    """The first statement of the file that takes a lock stronger than SHARE UPDATE EXCLUSIVE on
    an existing table while ``setting`` (lock_timeout, statement_timeout) is not set: (the lock,
    the relation as shown, the statement's name), or None. Each rule reports it once per file.
    Shared with statement-timeout-missing."""
    state = ctx.rule_state()
    if state.get("reported") or ctx.session.has_timeout(setting):
        return None
    e = ctx.strongest_on_existing(Lock.SHARE)
    if e is None:
        return None
    state["reported"] = True
    rel = e.display if e.relation[1] != "*" else "the affected tables"
    return e, rel, _NAMES.get(ctx.stmt.type, "This statement")


@RULE.on(*_NAMES)
def check(ctx, node):
    if is_schema_dump(ctx):
        # restored into a database no application uses yet: no lock to wait for
        return
    found = unbounded_lock(ctx, "lock_timeout")
    if found is None:
        return
    e, rel, what = found
    local, fix = set_timeout_fix(ctx, "lock_timeout", ctx.settings.fix_lock_timeout, SAFE)
    ctx.report(
        fitted(f"{what} takes {e.mode.with_article} lock on {rel} with no lock_timeout set",
               f"{what} takes {e.mode.with_article} lock on {rel} without lock_timeout",
               f"{what} locks {rel} {e.mode.label} without lock_timeout"),
        explanation=(f"While it waits for a conflicting lock (any long query or open transaction on the table), "
                     f"every later query on the table queues behind it, and once granted it blocks {e.mode.blocks}. "
                     "Reported once per file."),
        relation=e, fix=fix,
        help=f"Set a lock timeout before the first locking statement, e.g. {local} and retry the migration when it "
             "times out (or set lock-timeout in the config if your migration runner sets it for every session).",
    )

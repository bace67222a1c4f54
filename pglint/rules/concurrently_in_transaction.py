from ..engine.diagnostics import ERROR
from ..engine.registry import Rule
from ..model.nodes import has_option
from ..model.transactions import ASSUMED
from ._common import alter_table_cmds, outside_tx_hint

RULE = Rule(
    "PG104", "concurrently-in-transaction",
    summary="A CONCURRENTLY operation inside a transaction block fails at run time",
    severity=ERROR, category="locking",
)


def _what(ctx, stmt, node):
    t = stmt.type
    if t == "IndexStmt" and node.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if t == "DropStmt" and node.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if t == "ReindexStmt" and has_option(node.get("params"), "concurrently"):
        return "REINDEX CONCURRENTLY"
    if t == "AlterTableStmt":
        for cmd in alter_table_cmds(node):
            if cmd.get("subtype") == "AT_DetachPartition":
                if ((cmd.get("def") or {}).get("PartitionCmd") or {}).get("concurrent"):
                    return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"
    return None


def _only_statement(ctx, stmt) -> bool:
    tops = [s for s in ctx.parsed.statements if s.section == stmt.section]
    return len(tops) == 1


@RULE.on("IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt")
def check(ctx, node):
    stmt = ctx.stmt
    what = _what(ctx, stmt, node)
    if what is None:
        return
    if stmt.origin == "do":
        ctx.report(f"{what} cannot be executed from a function or DO block: this migration fails",
                   help="Run the statement directly (not inside DO), outside a transaction block.")
        return
    info = ctx.txinfo
    if info is None or not info.in_block:
        return
    if info.kind == ASSUMED:
        if _only_statement(ctx, stmt):
            return  # a file of one statement is sent alone, without a transaction block
        if ctx.parsed.markers:
            why = "the migration tool (goose/dbmate) runs this migration in a transaction"
        else:
            why = "the file runs inside a transaction (assume-in-transaction)"
    else:
        why = f"it is inside the transaction block opened at line {ctx.line_of(info.begin_offset)}"
    ctx.report(f"{what} cannot run inside a transaction block, and {why}: the migration fails with "
               f"\"{what.split(' ...')[0]} cannot run inside a transaction block\"",
               help=f"Run it outside any transaction: {outside_tx_hint(ctx)}.")

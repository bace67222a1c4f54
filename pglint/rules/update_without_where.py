from ..engine.registry import EVERYWHERE, Rule
from ._common import qname
from ._dml import is_scratch_table

RULE = Rule(
    "PG402", "update-without-where",
    summary="UPDATE without WHERE rewrites every row of the table in one transaction",
    category="queries", scope=EVERYWHERE,
)


@RULE.on("UpdateStmt")
def check(ctx, node):
    if node.get("whereClause") is not None:
        return
    rv = node.get("relation")
    if is_scratch_table(ctx, rv):
        return
    t = qname(rv)
    when = " every time the function runs" if ctx.stmt.origin == "function" else ""
    join = " (joined with its FROM list)" if node.get("fromClause") else ""
    ctx.report(
        f"UPDATE {t} has no WHERE clause: it updates every row{join}{when}",
        explanation=("It holds each row lock until the transaction ends (concurrent writers of those rows wait) and "
                     "writes a new version of every row (the table and its indexes bloat until VACUUM, and all of it "
                     "goes to the WAL and the replicas)."),
        at=ctx.relation_span(rv), relation=rv,
        help=(f"Add the WHERE clause you meant. For a deliberate backfill of a large table, update in batches "
              f"(UPDATE {t} SET ... WHERE id BETWEEN 1 AND 10000, then the next range, committing between "
              "batches) outside the migration's schema-change transaction; for a table that holds one row by "
              "design, say which (WHERE id = 1)."),
    )

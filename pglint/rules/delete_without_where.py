from ..engine.registry import EVERYWHERE, Rule
from ._common import qname
from ._dml import is_scratch_table

RULE = Rule(
    "PG403", "delete-without-where",
    summary="DELETE without WHERE removes every row of the table",
    category="queries", scope=EVERYWHERE,
)


@RULE.on("DeleteStmt")
def check(ctx, node):
    if node.get("whereClause") is not None:
        return
    rv = node.get("relation")
    if is_scratch_table(ctx, rv):
        return
    t = qname(rv)
    when = " every time the function runs" if ctx.stmt.origin == "function" else ""
    ctx.report(
        f"DELETE FROM {t} has no WHERE clause: it deletes every row{when}",
        explanation=("It locks each row until the transaction ends and leaves every row behind as a dead tuple for "
                     "VACUUM."),
        at=ctx.relation_span(rv), relation=rv,
        help=(f"Add the WHERE clause you meant. To empty {t} on purpose, say so with a suppression comment "
              f"(-- pglint: ignore[delete-without-where] reason), or use TRUNCATE {t}, which frees the space at "
              "once but takes an ACCESS EXCLUSIVE lock (and cannot run on a table other tables reference "
              "without CASCADE)."),
    )

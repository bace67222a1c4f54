from ..engine.registry import EVERYWHERE, Rule
from ._common import qname

RULE = Rule(
    "PG407", "insert-without-columns",
    summary="INSERT without a column list depends on the table's column order",
    category="queries", default=False, scope=EVERYWHERE,
)


@RULE.on("InsertStmt")
def check(ctx, node):
    if node.get("cols") or not node.get("selectStmt"):
        return  # a column list, or DEFAULT VALUES
    rv = node.get("relation")
    t = qname(rv)
    sel = (node.get("selectStmt") or {}).get("SelectStmt") or {}
    what = "VALUES" if sel.get("valuesLists") else "SELECT"
    ctx.report(
        f"INSERT INTO {t} {what} without a column list pairs values with its columns by position",
        explanation=("Once a column is added to, dropped from or ordered differently in the table (another "
                     "environment, a later migration), the statement fails, or writes values into the wrong columns "
                     "when the types happen to match."),
        at=ctx.relation_span(rv), relation=rv,
        help=f"Name the columns: INSERT INTO {t} (col_a, col_b, ...) {what} ...",
    )

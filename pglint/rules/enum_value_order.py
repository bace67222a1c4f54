from ..engine.registry import Rule
from ..model.nodes import strings
from ._common import report

RULE = Rule(
    "PG314", "enum-value-order",
    summary="ALTER TYPE ... ADD VALUE without BEFORE/AFTER appends the value at the end of the sort order",
    category="design", default=False,
)


@RULE.on("AlterEnumStmt")
def check(ctx, node):
    if node.get("oldVal") or not node.get("newVal") or node.get("newValNeighbor") or ctx.stmt.rollback:
        return
    name = ".".join(strings(node.get("typeName")))
    report(ctx,
        f"ADD VALUE '{node['newVal']}' to {name} without BEFORE or AFTER sorts it after every existing value",
        explanation=("An enum sorts by declaration order, so ORDER BY, <, > and min()/max() on the column place the new "
                     "value last, which is only right if the enum's order is the order values were added."),
        help=(f"Say where it belongs: ALTER TYPE {name} ADD VALUE '{node['newVal']}' BEFORE '<next value>' (or AFTER "
              "'<previous value>'); if the order does not matter, say so with "
              "`-- pglint: ignore[enum-value-order] order does not matter`."),
    )

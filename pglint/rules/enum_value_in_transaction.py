from ..engine.diagnostics import ERROR
from ..engine.registry import Rule
from ..model.nodes import strings
from ._common import outside_tx_hint

RULE = Rule(
    "PG117", "enum-value-in-transaction",
    summary="ALTER TYPE ... ADD VALUE inside a transaction block fails before PostgreSQL 12",
    severity=ERROR, category="locking",
)


@RULE.on("AlterEnumStmt")
def check(ctx, node):
    if ctx.pg_version >= (12,) or node.get("oldVal") or not node.get("newVal"):
        return
    if not (ctx.in_transaction or ctx.stmt.origin == "do"):
        return
    name = ".".join(strings(node.get("typeName")))
    ctx.report(
        f"ALTER TYPE {name} ADD VALUE cannot run inside a transaction block before PostgreSQL 12",
        explanation="PostgreSQL before 12 refuses it there, so this migration fails.",
        help=f"Run it outside a transaction: {outside_tx_hint(ctx)}. (PostgreSQL 12+ allows it in a transaction, but "
             "the new value cannot be used until that transaction commits.)",
    )

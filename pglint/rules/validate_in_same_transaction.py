from ..engine.registry import Rule
from ._common import alter_table_cmds, qname

RULE = Rule(
    "PG106", "validate-in-same-transaction",
    summary="VALIDATE CONSTRAINT in the same transaction as its ADD ... NOT VALID keeps the strong lock",
    category="locking",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    if not ctx.in_transaction:
        return
    rv = node.get("relation")
    t = ctx.schema.table(rv)
    if t is None or ctx.is_new_table(rv):
        return
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_ValidateConstraint":
            continue
        name = cmd.get("name", "")
        c = t.constraints.get(name)
        if c is None or c.origin is None or c.origin.file != ctx.file_index:
            continue
        if c.origin.tx != ctx.txinfo.id:
            continue
        lock = "SHARE ROW EXCLUSIVE" if c.kind == "f" else "ACCESS EXCLUSIVE"
        blocked = "writes" if c.kind == "f" else "all reads and writes"
        ctx.report(
            f"VALIDATE CONSTRAINT {name} runs in the same transaction as its ADD ... NOT VALID at line "
            f"{ctx.line_of(c.origin.offset)}",
            explanation=(f"The {lock} lock taken by ADD CONSTRAINT is held until COMMIT, so the validation scan of "
                         f"the table still blocks {blocked} and NOT VALID gains nothing."),
            at=ctx.cmd_span(i),
            help="COMMIT after adding the constraint NOT VALID and validate it in a new transaction "
                 "(or in a later migration).",
        )

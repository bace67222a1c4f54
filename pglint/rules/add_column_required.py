from ..engine.diagnostics import ERROR
from ..engine.registry import Rule
from ._common import fitted, required_column_cmds, qname

RULE = Rule(
    "PG110", "add-column-required",
    summary="ADD COLUMN ... NOT NULL without a DEFAULT fails on a non-empty table and breaks old writers",
    severity=ERROR, category="locking",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
        return
    rv = node.get("relation")
    if ctx.is_new_table(rv):
        return
    table = qname(rv)
    for i, cd, kinds in required_column_cmds(ctx, rv, node):
        col = cd.get("colname")
        what = "PRIMARY KEY" if "CONSTR_PRIMARY" in kinds else "NOT NULL"
        ctx.report(
            fitted(f"ADD COLUMN {col} {what} without a DEFAULT fails on existing table {table} once it has a row",
                   f"ADD COLUMN {col} {what} without a DEFAULT fails on {table} once it has a row",
                   f"ADD COLUMN {col} {what} without a DEFAULT fails on a table with rows"),
            explanation=("The new column would be NULL in every existing row, so the statement fails as soon as the "
                         "table has one, and application code still inserting rows without the column breaks once it "
                         "succeeds."),
            at=ctx.cmd_span(i), relation=rv,
            help=(f"Add it with a constant DEFAULT (metadata-only on PostgreSQL 11+): ALTER TABLE {table} ADD COLUMN "
                  f"{col} ... NOT NULL DEFAULT <value>; or add it nullable, backfill it, and make it NOT NULL afterwards."),
        )

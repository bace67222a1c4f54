from ..engine.diagnostics import ERROR
from ..engine.registry import Rule
from ..model.types import SERIAL_TYPES, column_type
from ._common import adds_existing_column, alter_table_cmds, column_constraints, column_def_of, qname

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
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_AddColumn" or adds_existing_column(ctx, rv, cmd):
            continue
        cd = column_def_of(cmd) or {}
        kinds = {c.get("contype") for c in column_constraints(cd)}
        required = cd.get("is_not_null") or "CONSTR_NOTNULL" in kinds or "CONSTR_PRIMARY" in kinds
        if not required:
            continue
        if kinds & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"} or cd.get("raw_default"):
            continue
        typ = column_type(cd.get("typeName"))
        if typ is not None and typ.name in SERIAL_TYPES:
            continue
        col = cd.get("colname")
        what = "PRIMARY KEY" if "CONSTR_PRIMARY" in kinds else "NOT NULL"
        ctx.report(
            f"ADD COLUMN {col} {what} without a DEFAULT on existing table {table}: it fails as soon as {table} has a "
            f"row (the new column would be NULL there), and application code still inserting rows without {col} "
            "breaks once it succeeds",
            at=ctx.cmd_span(i), relation=rv,
            help=(f"Add it with a constant DEFAULT (metadata-only on PostgreSQL 11+): ALTER TABLE {table} ADD COLUMN "
                  f"{col} ... NOT NULL DEFAULT <value>; or add it nullable, backfill it, and make it NOT NULL afterwards."),
        )

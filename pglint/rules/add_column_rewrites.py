from ..engine.registry import Rule
from ..model.types import SERIAL_TYPES, column_type
from ._common import adds_existing_column, alter_table_cmds, column_constraints, column_def_of, qname

RULE = Rule(
    "PG109", "add-column-rewrites",
    summary="ADD COLUMN that rewrites the table (volatile DEFAULT, serial, identity, stored generated)",
    category="locking",
)


def _help(table: str, cd: dict, pg_version, ctx=None) -> str:
    col = cd.get("colname", "col")
    typ = column_type(cd.get("typeName"))
    kinds = {c.get("contype") for c in column_constraints(cd)}
    if typ is not None and typ.name in SERIAL_TYPES:
        base = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}[typ.name]
        return (f"Add a plain nullable {base} column, create a sequence, then ALTER TABLE {table} ALTER COLUMN {col} "
                f"SET DEFAULT nextval('<sequence>') (new rows only) and backfill existing rows in batches.")
    if "CONSTR_IDENTITY" in kinds:
        return (f"Add a plain nullable column, backfill it in batches, then ALTER TABLE {table} ALTER COLUMN {col} "
                "ADD GENERATED ... AS IDENTITY once every row has a value.")
    if "CONSTR_GENERATED" in kinds:
        alt = " On PostgreSQL 18 a VIRTUAL generated column needs no rewrite." if pg_version >= (18,) else ""
        return ("Add a plain column kept up to date by a trigger and backfill existing rows in batches." + alt)
    if ctx is not None and typ is not None and ctx.domain_of(typ):
        return (f"Add the column with the domain's base type instead, and enforce its rule with a CHECK constraint "
                f"added NOT VALID and validated separately (ALTER TABLE {table} VALIDATE CONSTRAINT ...), which "
                "takes no rewrite.")
    if pg_version < (11,):
        return (f"Add the column without a DEFAULT, then ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT ... "
                "(new rows only) and backfill existing rows in batches.")
    return (f"Add the column without the DEFAULT (or with a constant one), then ALTER TABLE {table} ALTER COLUMN "
            f"{col} SET DEFAULT <expression> (it applies to new rows only) and backfill existing rows in batches.")


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
        reason = ctx.add_column_rewrite_reason(cd)
        if reason is None:
            continue
        ctx.report(
            f"ADD COLUMN {cd.get('colname')} {'may rewrite' if 'cannot prove' in reason else 'rewrites'} all of "
            f"{table} under an ACCESS EXCLUSIVE lock",
            explanation=("It blocks every read and write until every row is rewritten: "
                         f"{reason}."),
            at=ctx.cmd_span(i), help=_help(table, cd, ctx.pg_version, ctx), relation=rv,
        )

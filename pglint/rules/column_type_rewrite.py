from ..engine.registry import Rule
from ..model.types import column_type
from ._common import fitted, alter_table_cmds, column_def_of, qname

RULE = Rule(
    "PG111", "column-type-rewrite",
    summary="ALTER COLUMN ... TYPE that rewrites an existing table and its indexes",
    category="locking",
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
        if cmd.get("subtype") != "AT_AlterColumnType":
            continue
        col = cmd.get("name", "")
        cd = column_def_of(cmd) or {}
        rewrites = ctx.type_change_rewrites(rv, col, cd)
        if rewrites is False:
            continue
        new = column_type(cd.get("typeName"))
        old = ctx.old_column_type(rv, col)
        new_s = new.display() if new else "the new type"
        if old is not None:
            change = f"from {old.display()} to {new_s}"
        else:
            change = f"to {new_s}"
        verb = "may rewrite" if rewrites is None else "rewrites"
        msg = fitted(f"ALTER COLUMN {col} TYPE {change} {verb} {table} under an ACCESS EXCLUSIVE lock",
                     f"ALTER COLUMN {col} TYPE {verb} {table} under an ACCESS EXCLUSIVE lock")
        why = ("It rewrites the table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock: every read and "
               "write is blocked for the whole rewrite.")
        if rewrites is None and old is None:
            why += (" pglint does not know the column's current type; only varchar(n) to varchar(m >= n) or text, "
                    "and numeric(p,s) to numeric(p' >= p,s), are free.")
        elif rewrites is None:
            why += (" timestamp to timestamptz is free only when the session TimeZone is UTC: SET timezone = 'UTC' "
                    "before it, or set timezone-utc = true if the server's is.")
        if cd.get("raw_default") is not None and rewrites:
            why += " The USING clause forces the rewrite."
        ctx.report(
            msg, at=ctx.cmd_span(i), relation=rv, explanation=why,
            help=(f"Expand and contract: add a new column of the new type, keep it in sync (trigger) and backfill it in "
                  f"batches, switch the application to it, then drop {col}."),
        )

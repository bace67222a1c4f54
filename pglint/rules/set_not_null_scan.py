from ..engine.registry import Rule
from ._common import alter_table_cmds, qname

RULE = Rule(
    "PG108", "set-not-null-scan",
    summary="ALTER COLUMN ... SET NOT NULL scans an existing table under ACCESS EXCLUSIVE",
    category="locking", fix="sometimes",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    rv = node.get("relation")
    if ctx.is_new_table(rv):
        return
    table = qname(rv)
    short = table.split(".")[-1]
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_SetNotNull":
            continue
        col = cmd.get("name", "")
        if not ctx.set_not_null_needs_scan(rv, col):
            continue
        msg = (f"SET NOT NULL on {table}.{col} takes an ACCESS EXCLUSIVE lock and scans the whole table to check "
               "for NULLs: every read and write is blocked for the whole scan")
        check_name = f"{short}_{col}_not_null"
        if ctx.pg_version >= (12,):
            help = (f"Prove it first without blocking: ALTER TABLE {table} ADD CONSTRAINT {check_name} CHECK ({col} IS "
                    f"NOT NULL) NOT VALID; then, in a new transaction, ALTER TABLE {table} VALIDATE CONSTRAINT "
                    f"{check_name}; then SET NOT NULL (PostgreSQL 12+ skips the scan thanks to the validated CHECK) "
                    f"and ALTER TABLE {table} DROP CONSTRAINT {check_name};")
        else:
            help = (f"Before PostgreSQL 12 SET NOT NULL always scans; keep a validated CHECK ({col} IS NOT NULL) "
                    "constraint (added NOT VALID, then VALIDATE) instead of the NOT NULL attribute.")
        ctx.report(msg, at=ctx.cmd_span(i), help=help, relation=rv)

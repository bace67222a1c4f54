from ..engine.registry import Rule
from ._common import fitted, only_succeeds_on_empty_table, alter_table_cmds, qname
from ._fixes import DISPLAY_ONLY, SAFE, Fix, indent_at, insert_before, newline, quote_ident, source_text, statement_terminator_end

RULE = Rule(
    "PG108", "set-not-null-scan",
    summary="ALTER COLUMN ... SET NOT NULL scans an existing table under ACCESS EXCLUSIVE",
    category="locking", fix="sometimes",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
        return  # a foreign table has no local rows to scan
    rv = node.get("relation")
    if ctx.is_new_table(rv) or only_succeeds_on_empty_table(ctx, node):
        return
    table = qname(rv)
    short = table.split(".")[-1]
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_SetNotNull":
            continue
        col = cmd.get("name", "")
        if not ctx.set_not_null_needs_scan(rv, col):
            continue
        msg = fitted(f"SET NOT NULL on {table}.{col} scans the whole table under an ACCESS EXCLUSIVE lock",
                     f"SET NOT NULL on {table}.{col} scans the table under an ACCESS EXCLUSIVE lock",
                     f"SET NOT NULL on {table}.{col} scans the table under lock")
        check_name = f"{short}_{col}_not_null"
        if ctx.pg_version >= (12,):
            help = (f"Prove it first without blocking: ALTER TABLE {table} ADD CONSTRAINT {check_name} CHECK ({col} IS "
                    f"NOT NULL) NOT VALID; then, in a new transaction, ALTER TABLE {table} VALIDATE CONSTRAINT "
                    f"{check_name}; then SET NOT NULL (PostgreSQL 12+ skips the scan thanks to the validated CHECK) "
                    f"and ALTER TABLE {table} DROP CONSTRAINT {check_name};")
        else:
            help = (f"Before PostgreSQL 12 SET NOT NULL always scans; keep a validated CHECK ({col} IS NOT NULL) "
                    "constraint (added NOT VALID, then VALIDATE) instead of the NOT NULL attribute.")
        ctx.report(msg, at=ctx.cmd_span(i), help=help, relation=rv, fix=_fix(ctx, node, rv, col, check_name),
                   explanation="It scans the table to check for NULLs: every read and write is blocked for the whole scan.")


def _fix(ctx, node, rv, col, check_name):
    """Replace the statement by CHECK NOT VALID, VALIDATE, SET NOT NULL, DROP CHECK: each
    in its own transaction (PostgreSQL 12+). Shown only inside a transaction block, or when
    the ALTER TABLE does more than this."""
    if ctx.pg_version < (12,) or len(alter_table_cmds(node)) != 1 or ctx.stmt.origin != "top":
        return None
    s = ctx.stmt
    # the author's statement stays as written; the CHECK goes in before it and out after it,
    # each statement starting like the author's ("ALTER TABLE [ONLY] name ", comments and all)
    prefix = source_text(ctx, s.start, ctx.cmd_span(0)[0])
    c = quote_ident(col)
    name = quote_ident(check_name)
    nl = newline(ctx) + indent_at(ctx, s.start)
    end = statement_terminator_end(ctx)
    semi = ";" if end == s.end else ""
    edits = (
        insert_before(s.start, f"{prefix}ADD CONSTRAINT {name} CHECK ({c} IS NOT NULL) NOT VALID;{nl}"
                               f"{prefix}VALIDATE CONSTRAINT {name};{nl}"),
        insert_before(end, f"{semi}{nl}{prefix}DROP CONSTRAINT {name};"),
    )
    if ctx.in_transaction:
        return Fix("Prove NOT NULL with a validated CHECK first (needs separate transactions)", edits, DISPLAY_ONLY)
    return Fix("Prove NOT NULL with a validated CHECK first", edits, SAFE)

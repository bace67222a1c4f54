from ..engine.registry import Rule
from ._common import adds_existing_column, alter_table_cmds, column_constraints, column_def_of, constraint_of, qname

RULE = Rule(
    "PG105", "constraint-without-not-valid",
    summary="ADD CONSTRAINT FOREIGN KEY/CHECK without NOT VALID scans an existing table under lock",
    category="locking", fix="sometimes",
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
        sub = cmd.get("subtype")
        if sub == "AT_AddConstraint":
            con = constraint_of(cmd) or {}
            if con.get("skip_validation"):
                continue
            _report(ctx, i, table, con, None)
        elif sub == "AT_AddColumn" and not adds_existing_column(ctx, rv, cmd):
            cd = column_def_of(cmd) or {}
            cons = column_constraints(cd)
            for k, con in enumerate(cons):
                if con.get("contype") in ("CONSTR_FOREIGN", "CONSTR_CHECK"):
                    nxt = cons[k + 1] if k + 1 < len(cons) else None
                    _report(ctx, i, table, con, cd.get("colname"), nxt)


def _constraint_sql(ctx, i, con, column, nxt) -> str:
    """The constraint as the author wrote it, turned into a table constraint."""
    start = ctx.stmt.loc(con)
    end = ctx.cmd_span(i)[1]
    if nxt is not None and ctx.stmt.loc(nxt) is not None:
        end = min(end, ctx.stmt.loc(nxt))
    text = " ".join(ctx.sql[start:end].split()) if start is not None else ""
    if con.get("contype") == "CONSTR_FOREIGN" and text.upper().startswith("REFERENCES"):
        text = f"FOREIGN KEY ({column}) {text}"
    return text or ("FOREIGN KEY (...) REFERENCES ..." if con.get("contype") == "CONSTR_FOREIGN" else "CHECK (...)")


def _report(ctx, i, table, con, column, nxt=None):
    ct = con.get("contype")
    name = con.get("conname") or f"{table.split('.')[-1]}_{(column or 'col')}_{'fkey' if ct == 'CONSTR_FOREIGN' else 'check'}"
    if ct == "CONSTR_FOREIGN":
        ref = qname(con.get("pktable"))
        if ref == table:  # a self-reference
            msg = (f"Adding foreign key {name} to existing table {table} takes a SHARE ROW EXCLUSIVE lock on it and "
                   f"scans all of {table} to validate it: writes are blocked for the whole scan")
        else:
            msg = (f"Adding foreign key {name} to existing table {table} takes SHARE ROW EXCLUSIVE locks on "
                   f"{table} and {ref} and scans all of {table} to validate it: writes to both tables are blocked "
                   "for the whole scan")
    elif ct == "CONSTR_CHECK":
        msg = (f"Adding CHECK constraint {name} to existing table {table} takes an ACCESS EXCLUSIVE lock and "
               f"scans all of {table} to validate it: every read and write is blocked for the whole scan")
    elif ct == "CONSTR_NOTNULL" and ctx.pg_version >= (18,):
        msg = (f"Adding NOT NULL constraint {name} to existing table {table} takes an ACCESS EXCLUSIVE lock and "
               "scans the table to check for NULLs: every read and write is blocked for the whole scan")
    else:
        return
    if column:
        help = (f"Add the column first, then the constraint as NOT VALID (only new rows are checked; the lock is "
                f"brief): ALTER TABLE {table} ADD CONSTRAINT {name} {_constraint_sql(ctx, i, con, column, nxt)} "
                f"NOT VALID; and validate it in a "
                f"separate transaction: ALTER TABLE {table} VALIDATE CONSTRAINT {name}; (SHARE UPDATE EXCLUSIVE: "
                "reads and writes go on).")
    else:
        help = (f"Add it with NOT VALID (only new rows are checked; the lock is brief), then in a separate "
                f"transaction: ALTER TABLE {table} VALIDATE CONSTRAINT {name}; which scans under a SHARE UPDATE "
                "EXCLUSIVE lock (reads and writes go on).")
    ctx.report(msg, at=ctx.cmd_span(i), help=help, relation=ctx.stmt.node.get("relation"))

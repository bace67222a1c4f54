from ..engine.registry import Rule
from ..model.nodes import strings
from ._common import adds_existing_column, alter_table_cmds, column_constraints, column_def_of, constraint_of, qname

RULE = Rule(
    "PG107", "unique-without-index",
    summary="ADD UNIQUE / PRIMARY KEY / EXCLUDE builds an index on an existing table under ACCESS EXCLUSIVE",
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
    short = table.split(".")[-1]
    for i, cmd in enumerate(alter_table_cmds(node)):
        sub = cmd.get("subtype")
        cons = []
        if sub == "AT_AddConstraint":
            cons = [(constraint_of(cmd) or {}, None)]
        elif sub == "AT_AddColumn" and not adds_existing_column(ctx, rv, cmd):
            cd = column_def_of(cmd) or {}
            cons = [(c, cd.get("colname")) for c in column_constraints(cd)]
        for con, column in cons:
            ct = con.get("contype")
            if ct not in ("CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_EXCLUSION") or con.get("indexname"):
                continue
            cols = [column] if column else strings(con.get("keys"))
            collist = ", ".join(cols) or "..."
            if ct == "CONSTR_EXCLUSION":
                ctx.report(
                    f"ADD EXCLUDE on existing table {table} builds its index while holding an ACCESS EXCLUSIVE lock: "
                    "every read and write is blocked for the whole build, and an exclusion constraint can be neither "
                    "NOT VALID nor built from an existing index",
                    at=ctx.cmd_span(i), relation=rv,
                    help="There is no online way: create a new table with the constraint and copy the data, or run "
                         "this in a maintenance window with a lock_timeout.",
                )
                continue
            kind = "PRIMARY KEY" if ct == "CONSTR_PRIMARY" else "UNIQUE"
            name = con.get("conname") or (f"{short}_pkey" if kind == "PRIMARY KEY" else f"{short}_{'_'.join(cols)}_key")
            msg = (f"ADD {kind} on existing table {table} builds a unique index while holding an ACCESS EXCLUSIVE "
                   "lock: every read and write is blocked for the whole index build")
            help = (f"Build the index first without blocking: CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} "
                    f"({collist}); then ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name};")
            if kind == "PRIMARY KEY":
                help += (" The key columns must already be NOT NULL, or ADD PRIMARY KEY scans the table to set it "
                         "(see set-not-null-scan for the scan-free way).")
            if column:
                help = f"Add the column without {kind} first. " + help
            ctx.report(msg, at=ctx.cmd_span(i), help=help, relation=rv)

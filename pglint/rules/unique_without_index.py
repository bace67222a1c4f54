from ..engine.registry import Rule
from ..model.nodes import strings
from ._common import fitted, only_succeeds_on_empty_table, adds_existing_column, alter_table_cmds, column_constraints, column_def_of, constraint_of, qname
from ._fixes import (
    DISPLAY_ONLY, SAFE, UNSAFE, Fix, first, indent_at, insert_before, iter_tokens, newline, quote_ident, replace,
    source_text,
)

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
    if ctx.is_new_table(rv) or only_succeeds_on_empty_table(ctx, node):
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
                    f"ADD EXCLUDE on existing table {table} builds its index under an ACCESS EXCLUSIVE lock",
                    explanation=("Every read and write is blocked for the whole build, and an exclusion constraint can "
                                 "be neither NOT VALID nor built from an existing index."),
                    at=ctx.cmd_span(i), relation=rv,
                    help="There is no online way: create a new table with the constraint and copy the data, or run "
                         "this in a maintenance window with a lock_timeout.",
                )
                continue
            kind = "PRIMARY KEY" if ct == "CONSTR_PRIMARY" else "UNIQUE"
            name = con.get("conname") or (f"{short}_pkey" if kind == "PRIMARY KEY" else f"{short}_{'_'.join(cols)}_key")
            msg = fitted(f"ADD {kind} on existing table {table} builds a unique index under an ACCESS EXCLUSIVE lock",
                         f"ADD {kind} on {table} builds a unique index under an ACCESS EXCLUSIVE lock")
            help = (f"Build the index first without blocking: CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} "
                    f"({collist}); then ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name};")
            if kind == "PRIMARY KEY":
                help += (" The key columns must already be NOT NULL, or ADD PRIMARY KEY scans the table to set it "
                         "(see set-not-null-scan for the scan-free way).")
            fix = None
            if column:
                help = f"Add the column without {kind} first. " + help
            else:
                fix = _fix(ctx, node, rv, con, kind, name, cols)
            ctx.report(msg, at=ctx.cmd_span(i), help=help, relation=rv, fix=fix,
                       explanation="Every read and write is blocked for the whole index build.")


def _fix(ctx, node, rv, con, kind, name, cols):
    """CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX. Only for a
    plain single-subcommand ALTER TABLE outside a transaction (shown, not applied, inside
    one); unsafe for a primary key, whose columns become NOT NULL."""
    if len(alter_table_cmds(node)) != 1 or ctx.stmt.origin != "top" or not cols:
        return None
    if con.get("including") or con.get("options") or con.get("indexspace") or con.get("where_clause"):
        return None
    s = ctx.stmt
    span = ctx.cmd_span(0)
    # the column list "(a, b)" after UNIQUE / PRIMARY KEY becomes "USING INDEX name"
    kw = first(ctx, "UNIQUE", "KEY", after=span[0], before=span[1])
    lp = first(ctx, "ASCII_40", after=kw.end, before=span[1]) if kw is not None else None
    if lp is None:
        return None
    depth, rp = 0, None
    for t in iter_tokens(ctx, lp.start, span[1]):
        depth += t.name == "ASCII_40"
        depth -= t.name == "ASCII_41"
        if depth == 0:
            rp = t
            break
    if rp is None or source_text(ctx, rp.end, span[1]).strip():
        return None  # options after the column list (INCLUDE, WITH ...): leave it to the author
    table = source_text(ctx, *ctx.relation_span(rv))
    iname = quote_ident(name)
    collist = ", ".join(quote_ident(c) for c in cols)
    nulls = " NULLS NOT DISTINCT" if con.get("nulls_not_distinct") else ""
    nl = newline(ctx) + indent_at(ctx, s.start)
    edits = (
        insert_before(s.start, f"CREATE UNIQUE INDEX CONCURRENTLY {iname} ON {table} ({collist}){nulls};{nl}"),
        replace(lp.start, rp.end, ("" if ctx.sql[lp.start - 1].isspace() else " ") + f"USING INDEX {iname}"),
    )
    if ctx.in_transaction:
        return Fix("Build the index CONCURRENTLY first, in its own migration, then attach it", edits, DISPLAY_ONLY)
    return Fix("Build the unique index CONCURRENTLY first, then attach it", edits,
               UNSAFE if kind == "PRIMARY KEY" else SAFE)

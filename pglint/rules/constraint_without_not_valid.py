from ..engine.registry import Rule
from ..model.transactions import EXPLICIT
from ._common import fitted, only_succeeds_on_empty_table, adds_existing_column, alter_table_cmds, column_constraints, column_def_of, constraint_of, qname
from ._fixes import UNSAFE, Fix, insert_before, newline, source_text, statement_terminator_end, transaction_end

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
    if ctx.is_new_table(rv) or only_succeeds_on_empty_table(ctx, node):
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
                if con.get("contype") == "CONSTR_FOREIGN" and _fk_not_validated(ctx, node, cd):
                    continue
                if con.get("contype") in ("CONSTR_FOREIGN", "CONSTR_CHECK"):
                    nxt = cons[k + 1] if k + 1 < len(cons) else None
                    _report(ctx, i, table, con, cd.get("colname"), nxt)


# what PostgreSQL keeps as the column's raw_default: a DEFAULT (even DEFAULT NULL) or a
# generation expression; an identity column is filled without one, and its key is not checked
_FILLS_COLUMN = frozenset({"CONSTR_DEFAULT", "CONSTR_GENERATED"})


def _fills(cd: dict) -> bool:
    """ADD COLUMN gives the new column a raw default, which makes PostgreSQL validate a
    foreign key on it."""
    return cd.get("raw_default") is not None or any(
        c.get("contype") in _FILLS_COLUMN for c in column_constraints(cd))


def _fk_not_validated(ctx, node, cd: dict) -> bool:
    """ADD COLUMN ... REFERENCES of a column that starts out NULL in every row: PostgreSQL
    marks the key valid without checking the rows (parse_utilcmd.c, transformAlterTableStmt:
    FK validation is skipped when the column has no raw default; checked on PostgreSQL 15
    with pg_stat_user_tables.seq_scan, and a key a generated column breaks is refused while one
    an identity column breaks is not). Before 13 that decision covered the whole statement:
    another column with a default, or a table-level FOREIGN KEY, in the same ALTER TABLE made
    every key of it validated."""
    if _fills(cd):
        return False
    if ctx.pg_version < (13,):
        for c in alter_table_cmds(node):
            sub = c.get("subtype")
            if sub == "AT_AddColumn" and _fills(column_def_of(c) or {}):
                return False
            if sub == "AT_AddConstraint" and (constraint_of(c) or {}).get("contype") == "CONSTR_FOREIGN":
                return False
    return True


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
    name = con.get("conname") or default_name(table, con, column)
    if ct == "CONSTR_FOREIGN":
        ref = qname(con.get("pktable"))
        msg = fitted(f"Adding foreign key {name} to existing table {table} scans it under a SHARE ROW EXCLUSIVE lock",
                     f"Adding foreign key {name} to {table} scans it under a SHARE ROW EXCLUSIVE lock",
                     f"Adding foreign key {name} scans {table} under a SHARE ROW EXCLUSIVE lock",
                     f"Adding foreign key {name} scans its table under a SHARE ROW EXCLUSIVE lock",
                     f"ADD FOREIGN KEY {name} scans its table while blocking writes")
        if ref == table:  # a self-reference
            why = "It scans all of the table to validate the key, and writes are blocked for the whole scan."
        else:
            why = ("It locks both the table and the referenced table and scans all of the table to validate the key: "
                   "writes to both tables are blocked for the whole scan.")
    elif ct == "CONSTR_CHECK":
        msg = fitted(f"Adding CHECK constraint {name} to existing table {table} scans it under an ACCESS EXCLUSIVE lock",
                     f"Adding CHECK constraint {name} to {table} scans it under an ACCESS EXCLUSIVE lock",
                     f"Adding CHECK constraint {name} scans {table} under an ACCESS EXCLUSIVE lock",
                     f"Adding CHECK constraint {name} scans its table under an ACCESS EXCLUSIVE lock",
                     f"ADD CHECK {name} scans its table while blocking reads and writes")
        why = "It scans all of the table to validate the constraint: every read and write is blocked for the whole scan."
    elif ct == "CONSTR_NOTNULL" and ctx.pg_version >= (18,):
        msg = fitted(f"Adding NOT NULL constraint {name} to existing table {table} scans it under an ACCESS EXCLUSIVE "
                     "lock",
                     f"Adding NOT NULL constraint {name} scans {table} under an ACCESS EXCLUSIVE lock")
        why = "It scans the table to check for NULLs: every read and write is blocked for the whole scan."
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
    fix = _fix(ctx, i, con, name) if column is None else None
    ctx.report(msg, at=ctx.cmd_span(i), help=help, relation=ctx.stmt.node.get("relation"), fix=fix, explanation=why)


def default_name(table: str, con: dict, column: str | None) -> str:
    """The name PostgreSQL gives an unnamed constraint: <table>_<columns>_fkey,
    <table>_<first column>_check (without the collision suffix)."""
    from ..model.nodes import column_refs, strings
    from ..model.schema import choose_name

    short = table.split(".")[-1]
    if con.get("contype") == "CONSTR_FOREIGN":
        return choose_name(short, [column] if column else strings(con.get("fk_attrs")), "fkey")
    cols = [column] if column else [r[-1] for r in column_refs(con.get("raw_expr")) if r][:1]
    return choose_name(short, cols, "check") if cols else f"{short}_check"


def _fix(ctx, i, con, name):
    """Add NOT VALID (naming the constraint when the author did not, so the VALIDATE can
    name it) and validate it in a new transaction. Unsafe: existing rows are checked later."""
    if ctx.stmt.origin != "top":
        return None
    loc = ctx.stmt.loc(con)
    if loc is None:
        return None
    rv = ctx.stmt.node.get("relation")
    table_sql = source_text(ctx, *ctx.relation_span(rv))
    edits = []
    if not con.get("conname"):
        edits.append(insert_before(loc, f"CONSTRAINT {name} "))
    not_valid_at = ctx.cmd_span(i)[1]
    validate = f"ALTER TABLE {table_sql} VALIDATE CONSTRAINT {name};"
    nl = newline(ctx)
    info = ctx.txinfo
    end = statement_terminator_end(ctx)
    # a statement without its ';' (the last one of a goose section, say) needs one before
    # anything is appended after it
    semi = ";" if end == ctx.stmt.end else ""
    if info is not None and info.in_block and info.kind == EXPLICIT:
        at = transaction_end(ctx)  # validate after the COMMIT: a transaction of its own
        if at is None:
            return None
        edits.append(insert_before(not_valid_at, " NOT VALID"))
        edits.append(insert_before(at, nl + validate))
    else:
        # the whole file is one transaction: the validation belongs in the next migration
        after = f"-- next migration: {validate}" if info is not None and info.in_block else validate
        if end == not_valid_at:
            edits.append(insert_before(end, " NOT VALID" + semi + nl + after))
        else:
            edits.append(insert_before(not_valid_at, " NOT VALID"))
            edits.append(insert_before(end, semi + nl + after))
    return Fix("Add NOT VALID and validate the constraint in a separate transaction", tuple(edits), UNSAFE)

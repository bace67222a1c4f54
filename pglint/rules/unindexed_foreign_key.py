from ..engine.registry import Rule
from ..model.nodes import strings
from ._common import fitted, alter_table_cmds, column_constraints, column_def_of, constraint_of, qname

RULE = Rule(
    "PG601", "unindexed-foreign-key",
    summary="A foreign key whose columns lead no index: deleting or updating a referenced row scans the table",
    category="history",
)


def _record(ctx, table_rv, con, columns, span):
    if not columns:
        return
    ctx.rule_state().setdefault("fks", []).append(
        (ctx.schema.rv_key(table_rv), tuple(columns), con.get("conname"), qname(con.get("pktable")), span,
         ctx.stmt.index, qname(table_rv)))


@RULE.on("CreateStmt")
def create(ctx, node):
    rv = node.get("relation")
    for elt in node.get("tableElts") or ():
        if "ColumnDef" in elt:
            cd = elt["ColumnDef"]
            for con in column_constraints(cd):
                if con.get("contype") == "CONSTR_FOREIGN":
                    _record(ctx, rv, con, [cd.get("colname")], ctx.node_span(con) or ctx.relation_span(rv))
        elif "Constraint" in elt and elt["Constraint"].get("contype") == "CONSTR_FOREIGN":
            con = elt["Constraint"]
            _record(ctx, rv, con, strings(con.get("fk_attrs")), ctx.node_span(con) or ctx.relation_span(rv))


@RULE.on("AlterTableStmt")
def alter(ctx, node):
    rv = node.get("relation")
    for i, cmd in enumerate(alter_table_cmds(node)):
        sub = cmd.get("subtype")
        if sub == "AT_AddConstraint":
            con = constraint_of(cmd) or {}
            if con.get("contype") == "CONSTR_FOREIGN":
                _record(ctx, rv, con, strings(con.get("fk_attrs")), ctx.cmd_span(i))
        elif sub == "AT_AddColumn":
            cd = column_def_of(cmd) or {}
            for con in column_constraints(cd):
                if con.get("contype") == "CONSTR_FOREIGN":
                    _record(ctx, rv, con, [cd.get("colname")], ctx.cmd_span(i))


def covered(schema, table, columns) -> bool:
    """Whether a valid, non-partial index has ``columns`` (in any order) as leading columns."""
    want = set(columns)
    n = len(want)
    for idx in schema.indexes_of(table):
        if not idx.valid or idx.partial:
            continue
        lead = idx.columns[:n]
        if None not in lead and set(lead) == want:
            return True
    return False


@RULE.at_end
def finish(ctx):
    fks = ctx.rule_state().pop("fks", [])
    if not fks or ctx.stmt is not None and ctx.stmt.rollback:
        return
    final = ctx.final_schema or ctx.schema
    for key, cols, name, ref, span, stmt_index, shown in fks:
        t = final.tables.get(key)
        if t is None or not t.complete:
            continue  # dropped later, or a table whose indexes pglint cannot know
        if name and t.complete and name not in t.constraints:
            continue  # the foreign key was dropped later
        if covered(final, key, cols):
            continue
        collist = ", ".join(cols)
        idx_name = f"{key[1]}_{'_'.join(cols)}_idx"
        where = "at the end of the history" if ctx.final_schema is not None else "in this file"
        ctx.report(
            fitted(f"No index on {shown} starts with {collist}, its foreign key to {ref} ({where})",
                   f"No index on {shown} starts with {collist}, its foreign key to {ref}",
                   f"No index on {shown} starts with {collist}, a foreign key"),
            explanation=("Every DELETE of a referenced row, or UPDATE of its key, scans all of the referencing "
                         "table while holding locks, and joins on the key are slow."),
            at=span, statement=stmt_index, relation=key,
            help=f"Create the index without blocking writes: CREATE INDEX CONCURRENTLY {idx_name} "
                 f"ON {shown} ({collist});",
        )

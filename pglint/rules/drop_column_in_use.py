from ..engine.registry import Rule
from ..model.nodes import column_refs
from ._common import fitted, alter_table_cmds, qname

RULE = Rule(
    "PG603", "drop-column-in-use",
    summary="DROP COLUMN of a column a view, index, constraint or generated column still uses",
    category="history",
)


def dependents(schema, key, col):
    """(kind, name, needs CASCADE) of what depends on column ``col`` of table ``key``.

    An index or constraint on that column alone goes with it, as anyone expects; reported
    are the ones that also serve other columns (a multi-column unique constraint, an
    expression or partial index), the primary key, and what lives outside the table."""
    out = []
    for t in schema.tables.values():
        if t.kind in ("v", "m") and (key, col) in t.reads:
            out.append(("view" if t.kind == "v" else "materialized view", t.display(), True))
    for idx in schema.indexes_of(key):
        if idx.constraint is not None:
            continue
        involved = {c for c in idx.columns if c} | set(idx.expr_columns)
        if col in involved and involved - {col}:
            out.append(("index", idx.key[1], False))
    table = schema.tables.get(key)
    if table is not None:
        for c in table.constraints.values():
            if col in c.columns and (len(c.columns) > 1 or c.kind == "p"):
                out.append(({"p": "primary key", "u": "unique constraint", "f": "foreign key",
                             "c": "check constraint", "x": "exclusion constraint", "n": "not-null constraint"}
                            .get(c.kind, "constraint"), c.name, False))
        for other in table.columns.values():
            if other.name != col and other.generated and other.default is not None:
                if any(r and r[-1] == col for r in column_refs(other.default)):
                    out.append(("generated column", other.name, True))
    for t in schema.tables.values():
        for c in t.constraints.values():
            if c.kind == "f" and c.ref_table == key and col in c.ref_columns and t.key != key:
                out.append(("foreign key", f"{c.name} of {t.display()}", True))
    return [d for d in out if d[0] != "not-null constraint"]


_OWN_CONSTRAINT_KINDS = frozenset({"primary key", "unique constraint", "foreign key", "check constraint",
                                   "exclusion constraint", "constraint"})


def replaces_primary_key(node) -> bool:
    """The same ALTER TABLE adds a new primary key."""
    for cmd in alter_table_cmds(node):
        d = (cmd.get("def") or {}).get("Constraint") or {}
        if cmd.get("subtype") == "AT_AddConstraint" and d.get("contype") == "CONSTR_PRIMARY":
            return True
    return False


def _few(deps) -> str:
    """'index a, index b and 3 more'."""
    names = [f"{k} {n}" for k, n, _ in deps]
    if len(names) > 2:
        names = names[:2] + [f"{len(names) - 2} more"]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


@RULE.on("AlterTableStmt")
def check(ctx, node):
    rv = node.get("relation")
    key = ctx.schema.rv_key(rv)
    dropped = set()  # constraints dropped by earlier subcommands: they apply in order
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") == "AT_DropConstraint" and cmd.get("name"):
            dropped.add(cmd["name"])
            continue
        if cmd.get("subtype") != "AT_DropColumn":
            continue
        col = cmd.get("name", "")
        deps = dependents(ctx.schema, key, col)
        deps = [d for d in deps if not (d[0] in _OWN_CONSTRAINT_KINDS and d[1] in dropped)]
        if replaces_primary_key(node):
            deps = [d for d in deps if d[0] != "primary key"]
        if not deps:
            continue
        cascade = cmd.get("behavior") == "DROP_CASCADE"
        blocking = [d for d in deps if d[2]]
        silent = [d for d in deps if not d[2]]
        col_name = f"{qname(rv)}.{col}"
        if blocking and not cascade:
            what = f"Dropping {col_name} fails because {_few(blocking)} depend{'s' if len(blocking) == 1 else ''} on it"
        elif blocking:
            what = f"Dropping {col_name} with CASCADE silently drops {_few(blocking + silent)}"
        else:
            what = f"Dropping {col_name} also drops {_few(silent)} without a word"
        why = ("Objects that depend on the column either make DROP COLUMN fail without CASCADE (views, generated "
               "columns, foreign keys of other tables) or disappear with it all the same (indexes and constraints "
               "that also cover other columns, the primary key), which a review of the migration does not show.")
        names = ", ".join(f"{k} {n}" for k, n, _ in deps)
        ctx.report(
            fitted(what, f"Dropping {col_name} affects {len(deps)} dependent object{'s' if len(deps) > 1 else ''}"),
            explanation=why,
            at=ctx.cmd_span(i), relation=rv,
            help="Drop or change the dependent objects explicitly first (in an earlier migration), so that what "
                 "disappears is visible in review, then drop the column" + (f" (they are: {names})." if len(deps) > 2
                                                                           else "."),
        )

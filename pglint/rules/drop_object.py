from ..engine.registry import Rule
from ..model.schema import OBJECT_KINDS, object_names, object_ref
from ._common import (trigger_function, fitted, RELATION_KINDS, alter_table_cmds, constraint_is_new, created_here, skip_compat_check, qname,
                      recreated_later, renamed_earlier, report, table_dropped_later)

RULE = Rule(
    "PG206", "drop-object",
    summary="DROP of a view, function, type, schema, sequence, domain, extension, constraint or database still in use",
    category="compatibility",
)

# DROP kinds this rule covers (tables: drop-table; indexes, triggers, policies, ...: not a
# breaking change for clients, or covered by the locking rules).
_KINDS = {
    "OBJECT_VIEW": "view", "OBJECT_MATVIEW": "materialized view", "OBJECT_FOREIGN_TABLE": "foreign table",
    "OBJECT_FUNCTION": "function", "OBJECT_PROCEDURE": "procedure", "OBJECT_ROUTINE": "routine",
    "OBJECT_AGGREGATE": "aggregate", "OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain",
    "OBJECT_SCHEMA": "schema", "OBJECT_SEQUENCE": "sequence", "OBJECT_EXTENSION": "extension",
}

# what breaks, by kind ({n}: the object's name)
_BREAKS = {
    "view": "every query of the running application that reads the view fails with 'relation ... does not exist'",
    "materialized view": "every query of the running application that reads the view fails with 'relation ... does "
                         "not exist'",
    "foreign table": "every query of the running application that reads the table fails with 'relation ... does not "
                     "exist'",
    "function": "every caller fails with 'function ... does not exist': application queries, and column "
                "defaults, views and other functions that call it",
    "procedure": "every CALL of the procedure by the running application fails with 'procedure does not exist'",
    "routine": "every caller of the routine fails with 'does not exist'",
    "aggregate": "every query that uses the aggregate fails with 'function does not exist'",
    "type": "queries and functions that use the type (casts such as '...'::type, parameters, columns) fail",
    "domain": "queries and functions that use the domain (casts, parameters, columns) fail",
    "schema": "every object in the schema is gone with it (DROP SCHEMA fails on a non-empty schema unless CASCADE, "
              "which drops them all, tables and data included), and every query that names the schema fails",
    "sequence": "nextval() of the sequence fails with 'relation ... does not exist': inserts of the running "
                "application that rely on it fail",
    "extension": "the functions, types and operators it provides are gone: every query that uses them fails (and "
                 "with CASCADE, the columns and indexes that use them are dropped too)",
    "database": "every connection to the database is refused from now on, and all its data is gone",
}


_REMADE = {"procedure": "function", "routine": "function", "aggregate": "function"}


def _relation_kind(kind: str) -> bool:
    return kind in RELATION_KINDS.values()


@RULE.on("DropStmt")
def check(ctx, node):
    kind = _KINDS.get(node.get("removeType", ""))
    if kind is None or skip_compat_check(ctx):
        return
    cascade = node.get("behavior") == "DROP_CASCADE"
    model_kind = kind if _relation_kind(kind) else OBJECT_KINDS.get(node.get("removeType", ""))
    for obj in node.get("objects") or ():
        names = object_names(obj)
        schema, name = object_ref(model_kind, names) if not _relation_kind(kind) else (
            (names[-2] if len(names) > 1 else None), names[-1] if names else "")
        if not name:
            continue
        if created_here(ctx, model_kind, schema, name):
            continue
        if kind in ("function", "routine") and trigger_function(ctx, obj, name):
            continue  # only triggers call it: no client code can
        remade = _REMADE.get(kind, kind)
        if not cascade and recreated_later(ctx, remade, name):
            continue  # dropped to be created again (a new definition or signature): a replacement
        if renamed_earlier(ctx, remade, name):
            continue  # renamed out of the way earlier in the file: the code's name is another object's now
        _report(ctx, kind, ".".join(names), cascade)


@RULE.on("DropdbStmt")
def drop_database(ctx, node):
    name = node.get("dbname", "")
    if skip_compat_check(ctx) or created_here(ctx, "database", None, name):
        return
    _report(ctx, "database", name, False)


@RULE.on("AlterTableStmt")
def drop_constraint(ctx, node):
    if node.get("objtype", "OBJECT_TABLE") not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE") or skip_compat_check(ctx):
        return
    rv = node.get("relation")
    if ctx.is_new_table(rv) or table_dropped_later(ctx, (rv or {}).get("relname", "")):
        return
    table = qname(rv)
    t = ctx.schema.table(rv)
    cmds = alter_table_cmds(node)
    # a statement that drops one constraint and adds another replaces it in one step
    replaces = any(c.get("subtype") == "AT_AddConstraint" for c in cmds)
    for i, cmd in enumerate(cmds):
        if cmd.get("subtype") != "AT_DropConstraint":
            continue
        name = cmd.get("name", "")
        if constraint_is_new(ctx, rv, name) or replaces:
            continue
        if cmd.get("behavior") != "DROP_CASCADE" and recreated_later(ctx, "constraint", f"{rv.get('relname')}.{name}"):
            continue  # dropped and added again with a new definition
        c = t.constraints.get(name) if t is not None else None
        kind = c.kind if c is not None else _kind_from_name(name)
        what = {"p": "primary key", "u": "unique constraint", "f": "foreign key", "c": "check constraint",
                "x": "exclusion constraint"}.get(kind, "constraint")
        if what in ("primary key", "unique constraint", "exclusion constraint"):
            effect = ("duplicates can then be written, and INSERT ... ON CONFLICT on its columns of the running application "
                      "fails with 'there is no unique or exclusion constraint matching the ON CONFLICT "
                      "specification'")
        elif what == "foreign key":
            effect = ("rows pointing to missing parents can then be written, and its ON DELETE / ON UPDATE actions "
                      "no longer clean up after deletes")
        elif what == "check constraint":
            effect = "values it used to reject can then be written, and code that relies on them breaks"
        else:
            effect = ("the rows it protected can then be written with values it used to reject; if it is a unique "
                      "constraint, INSERT ... ON CONFLICT on its columns fails with 'there is no unique or exclusion "
                      "constraint matching the ON CONFLICT specification'")
        msg = fitted(f"DROP CONSTRAINT {name} removes a {what} of existing table {table}",
                     f"DROP CONSTRAINT {name} removes a {what} of {table}", f"DROP CONSTRAINT {name} removes a {what}")
        why = effect[0].upper() + effect[1:] + "."
        if cmd.get("behavior") == "DROP_CASCADE":
            why += " CASCADE also drops the foreign keys of other tables that depend on it."
        report(ctx,
            msg, at=ctx.cmd_span(i), relation=rv, explanation=why,
            help=(f"To change a constraint, add the new one first (ALTER TABLE {table} ADD CONSTRAINT <new> ... NOT "
                  "VALID; then VALIDATE CONSTRAINT <new>), then drop the old one; if it must go, make sure no deployed "
                  "code relies on it and mark the statement `-- pglint: ignore[drop-object] <reason>`."),
        )


def _kind_from_name(name: str) -> str:
    """The kind of a constraint the model does not know, from PostgreSQL's default names
    (table_col_fkey, table_pkey, table_col_key, table_col_check, table_col_excl)."""
    for suffix, kind in (("_fkey", "f"), ("_pkey", "p"), ("_key", "u"), ("_check", "c"), ("_excl", "x")):
        if name.endswith(suffix):
            return kind
    return ""


def _report(ctx, kind: str, name: str, cascade: bool) -> None:
    msg = f"DROP {kind.upper()} {name} breaks the code that still uses it"
    why = _BREAKS[kind][0].upper() + _BREAKS[kind][1:] + "."
    if cascade and kind not in ("schema", "extension"):
        why += (" CASCADE also drops everything that depends on it (views, column defaults, and for a type or "
                "domain the table columns of that type, with their data).")
    if kind == "database":
        help = "Make sure nothing connects to it any more and that a backup exists before dropping it."
    else:
        help = (f"Remove every use of {name} from the deployed code (and from other database objects) first, deploy, "
                f"then drop it in a later migration marked `-- pglint: ignore[drop-object] no deployed code uses it`.")
        if kind in ("view", "function", "procedure"):
            help = (f"To change it, use CREATE OR REPLACE {kind.upper()} (same columns or signature) instead of "
                    "dropping it. " + help)
    report(ctx, msg, help=help, relation=name if _relation_kind(kind) else None, explanation=why)

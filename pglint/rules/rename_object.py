from ..engine.diagnostics import INFO
from ..engine.registry import Rule
from ..model.nodes import strings
from ..model.schema import OBJECT_KINDS, object_names, object_ref
from ._common import (trigger_function, constraint_is_new, fitted, created_here, freed_earlier, skip_compat_check, qname, recreated_later,
                      renamed_from, report)

RULE = Rule(
    "PG207", "rename-object",
    summary="RENAME of a view, function, type, schema, sequence, constraint, index or other object still in use",
    category="compatibility",
)

_KINDS = {
    "OBJECT_VIEW": "view", "OBJECT_MATVIEW": "materialized view", "OBJECT_FOREIGN_TABLE": "foreign table",
    "OBJECT_SEQUENCE": "sequence", "OBJECT_INDEX": "index", "OBJECT_TABCONSTRAINT": "constraint",
    "OBJECT_FUNCTION": "function", "OBJECT_PROCEDURE": "procedure", "OBJECT_ROUTINE": "routine",
    "OBJECT_AGGREGATE": "aggregate", "OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain",
    "OBJECT_DOMCONSTRAINT": "domain constraint", "OBJECT_ATTRIBUTE": "attribute", "OBJECT_SCHEMA": "schema",
    "OBJECT_DATABASE": "database", "OBJECT_TRIGGER": "trigger", "OBJECT_POLICY": "policy", "OBJECT_RULE": "rule",
    "OBJECT_ROLE": "role", "OBJECT_TABLESPACE": "tablespace", "OBJECT_COLLATION": "collation",
    "OBJECT_CONVERSION": "conversion", "OBJECT_EVENT_TRIGGER": "event trigger", "OBJECT_FDW": "foreign-data wrapper",
    "OBJECT_FOREIGN_SERVER": "server", "OBJECT_LANGUAGE": "language", "OBJECT_OPCLASS": "operator class",
    "OBJECT_OPFAMILY": "operator family", "OBJECT_PUBLICATION": "publication", "OBJECT_SUBSCRIPTION": "subscription",
    "OBJECT_STATISTIC_EXT": "statistics object", "OBJECT_TSCONFIGURATION": "text search configuration",
    "OBJECT_TSDICTIONARY": "text search dictionary", "OBJECT_TSPARSER": "text search parser",
    "OBJECT_TSTEMPLATE": "text search template",
}

# what still uses the old name, by kind ({o}: old name)
_USERS = {
    "view": "every query of the running application that reads the view fails with 'relation ... does not exist'",
    "materialized view": "every query that reads the view, and every REFRESH MATERIALIZED VIEW of it, fails with "
                         "'relation ... does not exist'",
    "foreign table": "every query that reads the table fails with 'relation ... does not exist'",
    "sequence": "nextval() of the old name in application code fails with 'relation ... does not exist' (column "
                "defaults follow the rename, code that names the sequence does not)",
    "function": "every caller that names the function fails with 'function ... does not exist'",
    "procedure": "every CALL of the procedure fails with 'procedure does not exist'",
    "routine": "every caller that names the routine fails with 'does not exist'",
    "aggregate": "every query that uses the aggregate fails with 'function does not exist'",
    "type": "queries and functions that name the type (casts, parameters) fail with 'type ... does not exist'",
    "domain": "queries and functions that name the domain fail with 'type ... does not exist'",
    "attribute": "queries that read the attribute of the composite type fail",
    "schema": "every query that qualifies a name with the schema fails, and a search_path listing it no longer "
              "finds its objects",
    "database": "every connection string naming the database is refused",
    "role": "every connection that logs in as the role is refused (and an MD5 password is cleared, since the role "
            "name is its salt)",
    "constraint": "code that names the constraint (INSERT ... ON CONFLICT ON CONSTRAINT, error handling that "
                  "matches the constraint name, later migrations that drop it) breaks",
    "domain constraint": "code and later migrations that name the constraint break",
    "trigger function": "only triggers call it, and they keep it by OID, so they follow the rename; scripts and later "
                        "migrations that name it (DROP FUNCTION, CREATE TRIGGER ... EXECUTE FUNCTION) break",
    "index": "anything that names the index (later migrations that drop or rebuild it, maintenance scripts, "
             "query hints) breaks",
    "enum value": "the running application still writes the old value, which now fails with 'invalid input value "
                  "for enum', and code comparing with it no longer matches the rows",
}
_DEFAULT_USERS = "scripts, later migrations and code that use the old name break"
# renames that rarely break a running application: reported as information
_MINOR = frozenset({"index", "trigger", "policy", "rule", "statistics object", "domain constraint",
                    "trigger function"})


@RULE.on("RenameStmt")
def check(ctx, node):
    if skip_compat_check(ctx):
        return
    rt = node.get("renameType", "")
    new = node.get("newname", "")
    rv = node.get("relation")
    old_key = renamed_from(node)
    if old_key is not None and (recreated_later(ctx, *old_key) or freed_earlier(ctx, old_key[0], new)):
        return  # a swap: another object takes the old name later, or this one takes a name freed earlier
    if rt == "OBJECT_TABLE":
        t = ctx.schema.table(rv)
        kind = {"v": "view", "m": "materialized view", "f": "foreign table"}.get(t.kind if t is not None else "")
        if kind is None or ctx.is_new_table(rv):
            return  # a table: rename-table
        _report(ctx, kind, qname(rv), new, rv)
        return
    kind = _KINDS.get(rt)
    if kind is None:
        return  # columns: rename-column
    if rt in ("OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE", "OBJECT_SEQUENCE"):
        if ctx.is_new_table(rv) or (rt == "OBJECT_SEQUENCE" and created_here(ctx, "sequence", *_rv(rv))):
            return
        _report(ctx, kind, qname(rv), new, rv)
    elif rt == "OBJECT_INDEX":
        if created_here(ctx, "index", *_rv(rv)):
            return
        _report(ctx, kind, qname(rv), new, None)
    elif rt == "OBJECT_TABCONSTRAINT":
        old = node.get("subname", "")
        if constraint_is_new(ctx, rv, old):
            return
        _report(ctx, kind, old, new, rv, where=f" of {qname(rv)}")
    elif rt == "OBJECT_ATTRIBUTE":
        if created_here(ctx, "type", *_rv(rv)):
            return
        _report(ctx, kind, node.get("subname", ""), new, None, where=f" of type {qname(rv)}")
    elif rt in ("OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"):
        old = node.get("subname", "")
        mk = OBJECT_KINDS.get(rt)
        schema, table = _rv(rv)
        if ctx.is_new_table(rv) or (mk and created_here(ctx, mk, schema, f"{table}.{old}")):
            return
        _report(ctx, kind, old, new, rv, where=f" on {qname(rv)}")
    elif rt in ("OBJECT_SCHEMA", "OBJECT_DATABASE", "OBJECT_ROLE", "OBJECT_TABLESPACE", "OBJECT_FDW",
                "OBJECT_FOREIGN_SERVER", "OBJECT_LANGUAGE", "OBJECT_EVENT_TRIGGER", "OBJECT_PUBLICATION",
                "OBJECT_SUBSCRIPTION"):
        old = node.get("subname", "") or ".".join(object_names(node.get("object")))
        mk = OBJECT_KINDS.get(rt)
        if mk and created_here(ctx, mk, None, old):
            return
        _report(ctx, kind, old, new, None)
    else:
        names = object_names(node.get("object"))
        mk = OBJECT_KINDS.get(rt)
        if mk:
            schema, name = object_ref(mk, names)
            if created_here(ctx, mk, schema, name):
                return
        old = ".".join(names)
        if rt in ("OBJECT_FUNCTION", "OBJECT_ROUTINE") and trigger_function(ctx, node.get("object"), names[-1] if names else ""):
            kind = "trigger function"
        if rt == "OBJECT_DOMCONSTRAINT":
            _report(ctx, kind, node.get("subname", ""), new, None, where=f" of domain {old}")
        else:
            _report(ctx, kind, old, new, None)


@RULE.on("AlterEnumStmt")
def rename_value(ctx, node):
    old, new = node.get("oldVal"), node.get("newVal")
    if not old or not new or skip_compat_check(ctx):
        return
    names = strings(node.get("typeName"))
    schema, name = object_ref("type", names)
    if created_here(ctx, "type", schema, name):
        return
    _report(ctx, "enum value", old, new, None, where=f" of type {'.'.join(names)}", quote=True)


def _rv(rv):
    return (rv or {}).get("schemaname"), (rv or {}).get("relname", "")


def _report(ctx, kind: str, old: str, new: str, relation, where: str = "", quote: bool = False) -> None:
    q = "'" if quote else ""
    users = _USERS.get(kind, _DEFAULT_USERS)
    msg = fitted(f"Renaming {kind} {q}{old}{q}{where} to {q}{new}{q} breaks code that uses the old name",
                 f"Renaming {kind} {q}{old}{q} to {q}{new}{q} breaks code that uses the old name",
                 f"Renaming {kind} {q}{old}{q} to {q}{new}{q}", f"Renaming {kind} {q}{old}{q} breaks code that uses it")
    why = f"From the moment this commits, {users}, until everything uses the new name."
    if kind == "enum value":
        help = (f"Add the new value first (ALTER TYPE ... ADD VALUE '{new}'), deploy code that writes '{new}' and "
                f"reads both, update the rows (UPDATE ... SET col = '{new}' WHERE col = '{old}', in batches), and "
                f"leave '{old}' unused.")
    elif kind in ("view", "function"):
        help = (f"Create {new} next to {old} (CREATE {kind.upper()} {new} ... with the same definition), move the "
                f"code to {new} and deploy, then drop {old} in a later migration.")
    else:
        help = (f"First make the code independent of the name (or able to use both names) and deploy it, then "
                f"rename; mark the statement `-- pglint: ignore[rename-object] <reason>` once nothing uses {old}.")
    report(ctx, msg, help=help, relation=relation, severity=INFO if kind in _MINOR else None, explanation=why)

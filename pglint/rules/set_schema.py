from ..engine.registry import Rule
from ..model.schema import OBJECT_KINDS, object_names, object_ref
from ._common import fitted, RELATION_KINDS, created_here, skip_compat_check, qname, report

RULE = Rule(
    "PG210", "set-schema",
    summary="ALTER ... SET SCHEMA moves an object away from the name the running application uses",
    category="compatibility",
)

_OTHER = {
    "OBJECT_FUNCTION": "function", "OBJECT_PROCEDURE": "procedure", "OBJECT_ROUTINE": "routine",
    "OBJECT_AGGREGATE": "aggregate", "OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain",
    "OBJECT_SEQUENCE": "sequence", "OBJECT_EXTENSION": "extension", "OBJECT_COLLATION": "collation",
    "OBJECT_CONVERSION": "conversion", "OBJECT_OPERATOR": "operator", "OBJECT_OPCLASS": "operator class",
    "OBJECT_OPFAMILY": "operator family", "OBJECT_STATISTIC_EXT": "statistics object",
    "OBJECT_TSCONFIGURATION": "text search configuration", "OBJECT_TSDICTIONARY": "text search dictionary",
    "OBJECT_TSPARSER": "text search parser", "OBJECT_TSTEMPLATE": "text search template",
}


@RULE.on("AlterObjectSchemaStmt")
def check(ctx, node):
    if skip_compat_check(ctx):
        return
    ot = node.get("objectType", "")
    new = node.get("newschema", "")
    rv = node.get("relation")
    if rv and (ot in RELATION_KINDS or ot == "OBJECT_SEQUENCE"):
        kind = RELATION_KINDS.get(ot, "sequence")
        schema, name = rv.get("schemaname"), rv.get("relname", "")
        if ctx.is_new_table(rv) or created_here(ctx, "sequence", schema, name):
            return
        t = ctx.schema.table(rv)
        if t is not None and ot == "OBJECT_TABLE":
            kind = {"v": "view", "m": "materialized view", "f": "foreign table"}.get(t.kind, "table")
        old = qname(rv)
        relation = rv
    else:
        kind = _OTHER.get(ot)
        if kind is None:
            return
        names = object_names(node.get("object"))
        if ot in ("OBJECT_OPCLASS", "OBJECT_OPFAMILY") and len(names) > 1:
            names = names[1:]  # the first name is the index access method
        mk = OBJECT_KINDS.get(ot)
        if mk:
            schema, name = object_ref(mk, names)
            if name and created_here(ctx, mk, schema, name):
                return
        else:
            name = names[-1] if names else ""
        old = ".".join(names)
        relation = None
    report(ctx,
        fitted(f"SET SCHEMA moves {kind} {old} to schema {new}, where queries of the running application do not find it",
               f"SET SCHEMA moves {kind} {old} to schema {new}"),
        explanation=("From the moment this commits, every query of the running application that names it with its "
                     "old schema, or finds it through a search_path without the new one, fails with 'does not "
                     "exist'."),
        relation=relation,
        help=(f"First deploy code that qualifies the name with {new} (or a search_path that lists both schemas), then "
              f"move it; for a table or view, a view left behind (CREATE VIEW {old} AS SELECT <its columns> FROM {new}."
              f"{name}) keeps old queries working until they are gone."
              if kind in ("table", "view") else
              f"First deploy code that finds it in {new} (qualified names or a search_path that lists both schemas), "
              "then move it."),
    )

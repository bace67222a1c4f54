from ..engine.registry import Rule
from ..model.nodes import strings
from ._common import fitted, qname

RULE = Rule(
    "PG503", "grant-to-public",
    summary="GRANT ... TO PUBLIC (or ALTER DEFAULT PRIVILEGES ... TO PUBLIC) gives every role, present and future",
    category="security",
)

_KINDS = {
    "OBJECT_TABLE": "table", "OBJECT_SEQUENCE": "sequence", "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure", "OBJECT_ROUTINE": "routine", "OBJECT_SCHEMA": "schema",
    "OBJECT_DATABASE": "database", "OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain", "OBJECT_LANGUAGE": "language",
    "OBJECT_FDW": "foreign-data wrapper", "OBJECT_FOREIGN_SERVER": "foreign server", "OBJECT_LARGEOBJECT":
    "large object", "OBJECT_TABLESPACE": "tablespace", "OBJECT_PARAMETER_ACL": "parameter",
}
_PLURAL = {"OBJECT_TABLE": "tables", "OBJECT_SEQUENCE": "sequences", "OBJECT_FUNCTION": "functions",
           "OBJECT_PROCEDURE": "procedures", "OBJECT_ROUTINE": "routines", "OBJECT_TYPE": "types",
           "OBJECT_SCHEMA": "schemas", "OBJECT_LARGEOBJECT": "large objects"}


def _privileges(stmt) -> str:
    privs = []
    for p in stmt.get("privileges") or ():
        ap = p.get("AccessPriv") or {}
        name = (ap.get("priv_name") or "all").upper()
        cols = strings(ap.get("cols"))
        privs.append(f"{name} ({', '.join(cols)})" if cols else name)
    return ", ".join(privs) or "ALL PRIVILEGES"


def _objects(stmt) -> str:
    names = []
    for o in stmt.get("objects") or ():
        if "RangeVar" in o:
            names.append(qname(o["RangeVar"]))
        elif "ObjectWithArgs" in o:
            names.append(".".join(strings(o["ObjectWithArgs"].get("objname"))) + "(...)")
        elif "String" in o:
            names.append(o["String"].get("sval", ""))
        elif "List" in o:
            names.append(".".join(strings(o["List"].get("items"))))
        else:
            names.append("...")
    if len(names) > 3:
        names = names[:3] + [f"{len(names) - 3} more"]
    return ", ".join(names)


def _public(stmt) -> dict | None:
    for g in stmt.get("grantees") or ():
        rs = g.get("RoleSpec") if isinstance(g, dict) else None
        if rs and rs.get("roletype") == "ROLESPEC_PUBLIC":
            return rs
    return None


def _consequence(objtype: str, privs: str) -> str:
    up = privs.upper()
    if objtype == "OBJECT_SCHEMA" and ("CREATE" in up or "ALL" in up):
        return ("every role can create objects in it, and a function or operator created there can capture calls "
                "from any session whose search_path includes the schema")
    if objtype in ("OBJECT_TABLE", "OBJECT_SEQUENCE") and any(p in up for p in ("INSERT", "UPDATE", "DELETE",
                                                                                  "TRUNCATE", "ALL")):
        return "every role, including roles created later, can change the data"
    if objtype == "OBJECT_DATABASE" and ("CREATE" in up or "ALL" in up):
        return "every role, including roles created later, can create schemas in it"
    if objtype in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE"):
        return ("every role, including roles created later, can call it (for a SECURITY DEFINER routine: with its "
                "owner's privileges)")
    return "every role, including roles created later, gets it"


# What PUBLIC holds on new objects of a kind (PostgreSQL's default privileges): granting it
# again changes nothing, unless the file revoked it first.
_PUBLIC_DEFAULTS = {
    "OBJECT_FUNCTION": {"execute"}, "OBJECT_PROCEDURE": {"execute"}, "OBJECT_ROUTINE": {"execute"},
    "OBJECT_TYPE": {"usage"}, "OBJECT_DOMAIN": {"usage"}, "OBJECT_LANGUAGE": {"usage"},
    "OBJECT_DATABASE": {"connect", "temporary", "temp"},
}


def _only_defaults(stmt, objtype: str) -> bool:
    defaults = _PUBLIC_DEFAULTS.get(objtype)
    if not defaults:
        return False
    privs = [(p.get("AccessPriv") or {}).get("priv_name") for p in stmt.get("privileges") or ()]
    if not privs:  # ALL PRIVILEGES: all there is on functions, types and languages
        return objtype != "OBJECT_DATABASE"
    return all(p in defaults for p in privs)


def _targets(stmt, defaults: bool) -> set:
    if defaults:
        return {("defaults", stmt.get("objtype"))}
    return {(stmt.get("objtype"), _objects(stmt))} | {(stmt.get("objtype"), o) for o in _objects(stmt).split(", ")}


@RULE.on("GrantStmt")
def check(ctx, node):
    rs = _public(node)
    if rs is None:
        return
    objtype = node.get("objtype", "OBJECT_TABLE")
    revoked = ctx.rule_state().setdefault("revoked", set())
    if not node.get("is_grant"):
        revoked.update(_targets(node, False))
        return
    undone = bool(_targets(node, False) & revoked)
    if _only_defaults(node, objtype) and not undone:
        return  # PUBLIC has it already
    privs = _privileges(node)
    if node.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA":
        what = f"ALL {_PLURAL.get(objtype, 'objects').upper()} IN SCHEMA {_objects(node)}"
    else:
        what = f"{_KINDS.get(objtype, 'object').upper()} {_objects(node)}"
    again = ", undoing the REVOKE earlier in this file" if undone else ""
    why = _consequence(objtype, privs)
    ctx.report(
        fitted(f"GRANT {privs} ON {what} TO PUBLIC{again}", f"GRANT ... ON {what} TO PUBLIC{again}",
               f"GRANT {privs} ON {_KINDS.get(objtype, 'object').upper()} ... TO PUBLIC{again}",
               f"GRANT ... TO PUBLIC{again}"),
        explanation=why[0].upper() + why[1:] + ".",
        at=rs,
        help=("Grant to the roles that need it (GRANT ... TO app_readonly), or to a group role those roles are "
              "members of; PUBLIC means every role, now and later."),
    )


@RULE.on("AlterDefaultPrivilegesStmt")
def check_defaults(ctx, node):
    action = node.get("action") or {}
    rs = _public(action)
    if rs is None:
        return
    objtype = action.get("objtype", "OBJECT_TABLE")
    revoked = ctx.rule_state().setdefault("revoked", set())
    if not action.get("is_grant"):
        revoked.update(_targets(action, True))
        return
    if _only_defaults(action, objtype) and not (_targets(action, True) & revoked):
        return  # PUBLIC has it already
    privs = _privileges(action)
    plural = _PLURAL.get(objtype, "objects")
    ctx.report(
        fitted(f"ALTER DEFAULT PRIVILEGES ... GRANT {privs} ON {plural.upper()} TO PUBLIC opens every new "
               f"{plural[:-1]} to every role", f"ALTER DEFAULT PRIVILEGES ... TO PUBLIC opens every new {plural[:-1]} "
               "to every role"),
        explanation=(f"Every {plural[:-1]} created from now on is open to every role: {_consequence(objtype, privs)}."),
        at=rs,
        help=("Grant the default privileges to the roles that need them (ALTER DEFAULT PRIVILEGES ... TO "
              "app_readonly) instead of PUBLIC."),
    )

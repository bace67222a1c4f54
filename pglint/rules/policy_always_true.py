from ..engine.registry import Rule
from ..model.nodes import const_value
from ._common import fitted, qname

RULE = Rule(
    "PG505", "policy-always-true",
    summary="A permissive row-level security policy USING (true) / WITH CHECK (true) for writes opens every row",
    category="security",
)

_TRUE_TEXT = frozenset({"t", "true", "y", "yes", "on", "1"})


def _always_true(n) -> bool:
    """true, 'true'::boolean, 1 = 1 ..."""
    if not isinstance(n, dict):
        return False
    if "A_Const" in n or "TypeCast" in n:
        v = const_value(n)
        if v is True:
            return True
        if isinstance(v, str) and "TypeCast" in n:
            return v.strip().lower() in _TRUE_TEXT
        return False
    e = n.get("A_Expr")
    if e and e.get("kind") == "AEXPR_OP" and [x.get("String", {}).get("sval") for x in e.get("name") or ()] == ["="]:
        a, b = const_value(e.get("lexpr")), const_value(e.get("rexpr"))
        return a is not None and a == b
    return False


def _roles(node) -> str:
    names = []
    for r in node.get("roles") or ():
        rs = r.get("RoleSpec") or {}
        t = rs.get("roletype")
        if t == "ROLESPEC_PUBLIC":
            return "every role"
        names.append(rs.get("rolename") or {"ROLESPEC_CURRENT_USER": "CURRENT_USER",
                                                "ROLESPEC_SESSION_USER": "SESSION_USER",
                                                "ROLESPEC_CURRENT_ROLE": "CURRENT_ROLE"}.get(t, "?"))
    if not names:
        return "every role"
    return "role " + ", ".join(names) if len(names) == 1 else "roles " + ", ".join(names)


_VERBS = {"all": "read, update and delete", "update": "update", "delete": "delete",
          "?": "use (for the commands the policy covers)"}
_CHECK_VERBS = {"all": "insert or update", "insert": "insert", "update": "update",
                "?": "write (for the commands the policy covers)"}


def _few_roles(who: str) -> str:
    return who if who.count(",") < 1 else who.split(" ", 1)[0]  # "roles a, b, c" -> "roles"


def _check(ctx, node, cmd: str, table: str, rv) -> None:
    who = _roles(node)
    name = node.get("policy_name", "")
    qual, check = node.get("qual"), node.get("with_check")
    if cmd in _VERBS and _always_true(qual):
        ctx.report(
            fitted(f"Policy {name} lets {who} {_VERBS[cmd]} every row of {table} (USING (true))",
                   f"Policy {name} on {table} lets {_few_roles(who)} {_VERBS[cmd]} every row (USING (true))"),
            explanation="Row-level security no longer restricts those commands for those roles.",
            at=qual.get("A_Const") or qual.get("TypeCast") or qual.get("A_Expr") or None, relation=rv,
            help=(f"Say which rows: USING (owner_id = (SELECT auth_user_id())) or similar; if {who} really may "
                  f"change every row, grant that to a dedicated role and suppress this with a reason."),
        )
    if cmd in _CHECK_VERBS and _always_true(check) and not (cmd in _VERBS and _always_true(qual)):
        ctx.report(
            fitted(f"Policy {name} lets {who} {_CHECK_VERBS[cmd]} rows of {table} with any content (WITH CHECK (true))",
                   f"Policy {name} on {table} lets {_few_roles(who)} {_CHECK_VERBS[cmd]} any row (WITH CHECK (true))"),
            explanation="The roles can write rows with any content, including rows that belong to someone else.",
            at=check.get("A_Const") or check.get("TypeCast") or check.get("A_Expr") or None, relation=rv,
            help="Check the new row: WITH CHECK (owner_id = (SELECT auth_user_id())) or similar.",
        )


@RULE.on("CreatePolicyStmt")
def check_create(ctx, node):
    rv = node.get("table")
    cmd = node.get("cmd_name") or "all"
    permissive = bool(node.get("permissive"))  # false (AS RESTRICTIVE) is left out of the tree
    ctx.rule_state()[(qname(rv), node.get("policy_name"))] = (cmd, permissive)
    if not permissive:
        return  # a restrictive policy only narrows the permissive ones
    _check(ctx, node, cmd, qname(rv), rv)


@RULE.on("AlterPolicyStmt")
def check_alter(ctx, node):
    rv = node.get("table")
    # a policy of another file: its command is not known here (only a SELECT one would be fine)
    cmd, permissive = ctx.rule_state().get((qname(rv), node.get("policy_name")), ("?", True))
    if permissive:
        _check(ctx, node, cmd, qname(rv), rv)

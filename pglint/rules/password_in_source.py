from ..engine.registry import Rule
from ..model.nodes import sval

RULE = Rule(
    "PG504", "password-in-source",
    summary="A password (or password hash) written in the SQL file: CREATE/ALTER ROLE ... PASSWORD '...', user mappings",
    category="security",
)

_HELP = ("Keep secrets out of the repository: set the password outside the migration (\\password in psql, a "
         "secrets manager, or a deploy step that runs ALTER ROLE ... PASSWORD with a value it is given), or use "
         "an authentication that needs none in SQL (certificates, IAM, peer). Rotate this one: it is in the "
         "history of every clone.")


def _secret_arg(ctx, options, names=("password",)):
    """The DefElem whose argument is a literal password, unless it is a template placeholder."""
    for o in options or ():
        d = o.get("DefElem") if isinstance(o, dict) else None
        if not d or d.get("defname") not in names or d.get("defaction") == "DEFELEM_DROP":
            continue
        value = sval(d.get("arg"))
        if not value:
            continue  # PASSWORD NULL, or ''
        loc = d.get("arg_location", -1)
        at = ctx.stmt.offset(loc) if loc is not None and loc >= 0 else None
        if at is None:
            if ctx.source.text[ctx.stmt.start:ctx.stmt.end] != ctx.sql[ctx.stmt.start:ctx.stmt.end]:
                continue  # a template: cannot tell where the value is
        else:
            end = _literal_span(ctx, at)[1]
            if ctx.source.text[max(at - 1, 0):end] != ctx.sql[max(at - 1, 0):end]:
                continue  # PASSWORD '${DB_PASSWORD}' or psql's :'var': filled in at deploy time
        return d, value, at
    return None


def _literal_span(ctx, at):
    """Span of the string literal starting at ``at`` ('...' with '' inside, E'...', $$...$$)."""
    if at is None:
        return None
    sql = ctx.sql
    i = at
    if i < len(sql) and sql[i] in "eE" and sql.startswith("'", i + 1):
        i += 1
    if i < len(sql) and sql[i] == "'":
        j = i + 1
        while j < len(sql):
            if sql[j] == "'" and sql.startswith("''", j):
                j += 2
                continue
            if sql[j] == "\\" and i != at:
                j += 2
                continue
            if sql[j] == "'":
                return at, j + 1
            j += 1
    return ctx.token_span(at)


def _kind(value: str) -> str:
    if value.startswith("SCRAM-SHA-256$"):
        return "a SCRAM password verifier"
    if value.startswith("md5") and len(value) == 35:
        return "an md5 password hash"
    return "a password"


@RULE.on("CreateRoleStmt", "AlterRoleStmt")
def check_role(ctx, node):
    found = _secret_arg(ctx, node.get("options"))
    if found is None:
        return
    d, value, at = found
    role = node.get("role")
    name = role if isinstance(role, str) else (role or {}).get("rolename", "")
    if ctx.stmt.type == "CreateRoleStmt":
        verb = {"ROLESTMT_USER": "CREATE USER", "ROLESTMT_GROUP": "CREATE GROUP"}.get(node.get("stmt_type"),
                                                                                     "CREATE ROLE")
    else:
        verb = "ALTER ROLE"
    ctx.report(
        f"{verb} {name} sets {_kind(value)} from a literal in the source",
        explanation=("The secret is now in the repository, in every clone and CI checkout, and in the server log of "
                     "any session that logs statements (an md5 hash is enough to log in wherever md5 authentication is "
                     "allowed, a SCRAM verifier to guess the password offline)."),
        at=_literal_span(ctx, at), help=_HELP,
    )


@RULE.on("CreateUserMappingStmt", "AlterUserMappingStmt")
def check_mapping(ctx, node):
    found = _secret_arg(ctx, node.get("options"))
    if found is None:
        return
    d, value, at = found
    rs = node.get("user") or {}
    user = rs.get("rolename") or {"ROLESPEC_CURRENT_USER": "CURRENT_USER", "ROLESPEC_SESSION_USER": "SESSION_USER",
                                   "ROLESPEC_CURRENT_ROLE": "CURRENT_ROLE"}.get(rs.get("roletype"), "PUBLIC")
    verb = "CREATE" if ctx.stmt.type == "CreateUserMappingStmt" else "ALTER"
    ctx.report(
        f"{verb} USER MAPPING FOR {user} SERVER {node.get('servername', '')} stores the remote {d.get('defname')} "
        "from a literal",
        explanation=("The secret is now in the repository, in every clone and CI checkout, and readable in "
                     "pg_user_mappings by the mapped user."),
        at=_literal_span(ctx, at), help=_HELP,
    )

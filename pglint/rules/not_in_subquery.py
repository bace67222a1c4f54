from ..engine.registry import EVERYWHERE, Rule
from ..model.nodes import strings, walk
from ._plpgsql import expression_nodes, node_span

RULE = Rule(
    "PG404", "not-in-subquery",
    summary="x NOT IN (SELECT ...) is never true once the subquery returns a NULL, and cannot use an anti-join",
    category="queries", scope=EVERYWHERE,
    needs=("select", "not|all"),
)

_MSG = "{what} returns no row at all as soon as the subquery yields one NULL"
_WHY = ("x NOT IN (..., NULL) is never true, and PostgreSQL cannot plan NOT IN as an anti-join: it hashes the whole "
        "subquery result, or, when that does not fit in work_mem, rescans it for every outer row.")
_HELP = ("Use NOT EXISTS, which has neither problem: WHERE NOT EXISTS (SELECT FROM other o WHERE o.col = t.col). "
         "If NULLs must count, say how explicitly.")


def _not_in(t, f):
    """The SubLink of `x NOT IN (SELECT ...)` / `x <> ALL (SELECT ...)`, and its wording."""
    if t == "BoolExpr" and f.get("boolop") == "NOT_EXPR":
        args = f.get("args") or []
        sub = args[0].get("SubLink") if len(args) == 1 and isinstance(args[0], dict) else None
        if sub and sub.get("subLinkType") == "ANY_SUBLINK" and strings(sub.get("operName")) in ([], ["="]):
            return sub, "NOT IN (SELECT ...)"
    if t == "SubLink" and f.get("subLinkType") == "ALL_SUBLINK" and strings(f.get("operName")) == ["<>"]:
        return f, "<> ALL (SELECT ...)"
    return None, None


@RULE.on("*")
def check(ctx, stmt):
    if stmt.type == "CreateFunctionStmt":
        return  # its body's statements are checked as embedded statements
    # only statements with a subquery and NOT / ALL can hold one: skip decoding the others
    low, a, b = ctx.parsed.lower(), stmt.start, stmt.end
    if low.find("select", a, b) < 0 or (low.find("not", a, b) < 0 and low.find("all", a, b) < 0):
        return
    js = stmt.json_text  # undecoded yet: a subquery shows as "SubLink"
    if js is not None and '"SubLink"' not in js:
        return
    for t, f in walk(stmt.node, stmt.type):
        if t == "BoolExpr" or t == "SubLink":
            sub, what = _not_in(t, f)
            if sub is not None:
                ctx.report(_MSG.format(what=what), at=node_span(ctx, f), help=_HELP, explanation=_WHY)


@RULE.on("CreateFunctionStmt", "DoStmt")
def check_plpgsql(ctx, node):
    """Conditions and assignments PL/pgSQL evaluates itself (IF x NOT IN (SELECT ...))."""
    for t, f, span in expression_nodes(ctx, frozenset({"BoolExpr", "SubLink"}), ("select",)):
        sub, what = _not_in(t, f)
        if sub is not None:
            ctx.report(_MSG.format(what=what), at=span, help=_HELP, explanation=_WHY)

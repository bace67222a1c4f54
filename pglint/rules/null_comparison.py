from ..engine.registry import EVERYWHERE, Rule
from ..model.nodes import strings, walk
from ._plpgsql import expression_nodes, node_span

RULE = Rule(
    "PG405", "null-comparison",
    summary="= NULL / <> NULL is never true (it is NULL): use IS [NOT] NULL",
    category="queries", scope=EVERYWHERE,
    needs=("null",),
)


def _is_null(n) -> bool:
    if not isinstance(n, dict):
        return False
    if "TypeCast" in n:
        return _is_null(n["TypeCast"].get("arg"))
    c = n.get("A_Const")
    return bool(c and c.get("isnull"))


_WHY = ("Comparing anything with NULL (=, <>, IN, CASE x WHEN) yields NULL, not true or false: as a WHERE, JOIN or IF "
        "condition it never holds, in a CHECK constraint it never rejects anything, and x NOT IN (..., NULL) is NULL "
        "or false for every x.")


def _problem(t, f):
    """(message, help) when the node compares with NULL."""
    if t == "A_Expr":
        kind = f.get("kind")
        op = strings(f.get("name"))
        if kind == "AEXPR_OP" and op in (["="], ["<>"], ["!="]) and (_is_null(f.get("lexpr")) or _is_null(f.get("rexpr"))):
            written = "= NULL" if op == ["="] else "<> NULL"
            fix = "IS NULL" if op == ["="] else "IS NOT NULL"
            return (f"{written} is never true: comparing anything with NULL yields NULL",
                    f"Write x {fix}; to compare two values that may both be NULL, use x IS "
                    f"{'NOT ' if op == ['='] else ''}DISTINCT FROM y.")
        if kind == "AEXPR_IN" and op == ["<>"]:
            items = (f.get("rexpr") or {}).get("List", {}).get("items") if isinstance(f.get("rexpr"), dict) else None
            if items and any(_is_null(x) for x in items):
                return ("NOT IN (..., NULL) is never true, so no row passes",
                        "Drop the NULL from the list, and add OR x IS NULL if NULLs should pass.")
    if t == "CaseExpr" and f.get("arg") is not None:
        for w in f.get("args") or ():
            if _is_null((w.get("CaseWhen") or {}).get("expr")):
                return ("CASE x WHEN NULL never matches, so that branch never runs",
                        "Write CASE WHEN x IS NULL THEN ... instead.")
    return None


def _may_compare(text: str) -> bool:
    """Cheap test before parsing: `x IS NOT NULL` alone cannot compare with NULL."""
    return "=" in text or "<>" in text or " in" in text or "when" in text


@RULE.on("*")
def check(ctx, stmt):
    if stmt.type == "CreateFunctionStmt":
        return  # its body's statements are checked as embedded statements
    # only statements that mention NULL can compare with it: skip decoding the others
    if ctx.parsed.lower().find("null", stmt.start, stmt.end) < 0:
        return
    js = stmt.json_text  # undecoded yet: a NULL literal shows as "isnull":true
    if js is not None and '"isnull":true' not in js:
        return
    for t, f in walk(stmt.node, stmt.type):
        if t == "A_Expr" or t == "CaseExpr":
            p = _problem(t, f)
            if p is not None:
                ctx.report(p[0], at=node_span(ctx, f), help=p[1], explanation=_WHY)


@RULE.on("CreateFunctionStmt", "DoStmt")
def check_plpgsql(ctx, node):
    """Conditions and assignments PL/pgSQL evaluates itself (IF x = NULL THEN ...)."""
    for t, f, span in expression_nodes(ctx, frozenset({"A_Expr", "CaseExpr"}), ("null",), _may_compare):
        p = _problem(t, f)
        if p is not None:
            ctx.report(p[0], at=span, help=p[1], explanation=_WHY)

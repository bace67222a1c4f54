from ..engine.registry import EVERYWHERE, Rule
from ..model.nodes import strings, walk
from ._common import fitted
from ._plpgsql import expression_nodes, node_span

RULE = Rule(
    "PG404", "not-in-subquery",
    summary="x NOT IN (SELECT ...) is never true once the subquery returns a NULL, and cannot use an anti-join",
    category="queries", scope=EVERYWHERE,
    needs=("select", "not|all"),
)

_MSG = "{what} returns no row at all as soon as the subquery yields one NULL"
# the subquery's column is known NOT NULL: only the plan is left to say
_MSG_PLAN = "{what} over NOT NULL column {col} cannot be planned as an anti-join"
_MSG_PLAN_SHORT = "{what} over a NOT NULL column cannot be planned as an anti-join"
_WHY_PLAN = ("PostgreSQL cannot plan NOT IN as an anti-join: it hashes the whole subquery result, or, when that does "
             "not fit in work_mem, rescans it for every outer row. ({col} is NOT NULL, so the subquery yields no "
             "NULL that would make NOT IN match nothing.)")
_HELP_PLAN = ("Use NOT EXISTS, which PostgreSQL plans as an anti-join: WHERE NOT EXISTS (SELECT FROM other o WHERE "
              "o.col = t.col).")
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


def _not_null_column(ctx, sub, ctes) -> str | None:
    """``table.column`` when the subquery's one output is a column PostgreSQL keeps NOT NULL:
    a NOT NULL column of the one table it reads (``SELECT c FROM t``, ``SELECT DISTINCT c``),
    or MIN/MAX of one per group of a GROUP BY (a group has a row, and its NOT NULL values);
    None when it may be NULL or the history does not tell (``ctes`` None: the names the
    statement's WITH clauses give are not known)."""
    if ctes is None:
        return None
    sel = (sub.get("subselect") or {}).get("SelectStmt")
    if not sel or sel.get("op", "SETOP_NONE") != "SETOP_NONE" or sel.get("valuesLists"):
        return None
    targets, froms = sel.get("targetList") or [], sel.get("fromClause") or []
    if len(targets) != 1 or len(froms) != 1 or "RangeVar" not in froms[0]:
        return None
    rv = froms[0]["RangeVar"]
    if not rv.get("schemaname") and rv.get("relname") in ctes:
        return None  # a CTE of that name, not the table
    val = (targets[0].get("ResTarget") or {}).get("val") or {}
    fc = val.get("FuncCall")
    if fc is not None:
        args = fc.get("args") or []
        if (strings(fc.get("funcname"))[-1:] not in (["min"], ["max"]) or len(args) != 1 or fc.get("agg_filter")
                or fc.get("over") or not sel.get("groupClause")
                or any("GroupingSet" in g for g in sel["groupClause"])):  # GROUP BY () has a group of no row
            return None
        val = args[0]
    parts = strings((val.get("ColumnRef") or {}).get("fields"))
    if not parts or len(parts) > 2 or any("A_Star" in f for f in val["ColumnRef"].get("fields") or ()):
        return None
    if len(parts) == 2 and parts[0] not in ((rv.get("alias") or {}).get("aliasname"), rv.get("relname")):
        return None
    t = ctx.schema.table(rv)
    col = t.columns.get(parts[-1]) if t is not None else None
    if col is None or not col.not_null:
        return None
    return f"{rv.get('relname')}.{parts[-1]}"


def _ctes(node, typ: str) -> set:
    return {f.get("ctename") for t, f in walk(node, typ) if t == "CommonTableExpr"}


def _report(ctx, sub, what, span, ctes):
    col = _not_null_column(ctx, sub, ctes)
    if col is None:
        ctx.report(_MSG.format(what=what), at=span, help=_HELP, explanation=_WHY)
    else:
        ctx.report(fitted(_MSG_PLAN.format(what=what, col=col), _MSG_PLAN_SHORT.format(what=what)), at=span,
                   help=_HELP_PLAN, explanation=_WHY_PLAN.format(col=col))


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
    ctes = None
    for t, f in walk(stmt.node, stmt.type):
        if t == "BoolExpr" or t == "SubLink":
            sub, what = _not_in(t, f)
            if sub is not None:
                if ctes is None and stmt.parent is None:  # a function body's tables are those it runs with
                    ctes = _ctes(stmt.node, stmt.type)
                _report(ctx, sub, what, node_span(ctx, f), ctes)


@RULE.on("CreateFunctionStmt", "DoStmt")
def check_plpgsql(ctx, node):
    """Conditions and assignments PL/pgSQL evaluates itself (IF x NOT IN (SELECT ...))."""
    for t, f, span in expression_nodes(ctx, frozenset({"BoolExpr", "SubLink"}), ("select",)):
        sub, what = _not_in(t, f)
        if sub is not None:
            _report(ctx, sub, what, span, None)  # the query around it (its CTEs) is not known here

"""select-star: `SELECT *` / `t.*` where the star decides the shape of a result someone
relies on: a view, a function's result, the rows an INSERT writes, a query's output.

A star is reported only when it expands (directly, or through subqueries and CTEs that
star-expand in turn) over a table or view: `SELECT * FROM (VALUES ...) v`, a star over a
subquery with explicit columns, `EXISTS (SELECT * ...)`, `count(*)`, `CREATE TABLE ... AS
SELECT *` (a snapshot copy), PERFORM, `SELECT * INTO rec` and `FOR rec IN SELECT *` in
PL/pgSQL (the record takes whatever columns come), and a function returning `SETOF t`
that selects `* FROM t` are not."""

from __future__ import annotations

from ..engine.registry import EVERYWHERE, Rule
from ..model.nodes import field_types, strings
from ..model.plpgsql import Body, rows_kept_offsets
from ._common import qname

RULE = Rule(
    "PG401", "select-star",
    summary="SELECT * / t.* in a view, a function, INSERT ... SELECT or a query: its columns follow the table",
    category="queries", scope=EVERYWHERE,
)

# parents under which a SELECT's column list does not matter
_NOT_OUTPUT_PARENTS = frozenset({"ExplainStmt"})
# parents whose SELECT is expanded by an enclosing query (checked from there)
_INNER_PARENTS = frozenset({"RangeSubselect", "CommonTableExpr", "SelectStmt"})


@RULE.on("*")
def check(ctx, stmt):
    # only statements with a * can have one: skip decoding the others
    js = stmt.json_text  # undecoded yet: a star shows as "A_Star"
    if stmt.type == "CreateFunctionStmt" or (js is not None and '"A_Star"' not in js):
        return
    if "*" not in ctx.sql[stmt.start:stmt.end]:
        return
    for node, ancestors in _selects(stmt.type, stmt.node):
        parent = ancestors[-1][0] if ancestors else None
        if parent in _INNER_PARENTS or parent in _NOT_OUTPUT_PARENTS:
            continue
        stars = list(_fragile_stars(node, _visible_ctes(ancestors, node), set()))
        if not stars:
            continue
        context = _context(ctx, parent, ancestors)
        if context is None:
            continue
        for star, rel in stars:
            if _returns_rowtype_of(ctx, parent, rel):
                continue
            _report(ctx, star, rel, context)


def _selects(typ: str, node: dict):
    """Every SelectStmt of a tree with the (type, fields) chain above it."""
    ft = field_types()
    stack = [(typ, node, [])]
    while stack:
        t, f, above = stack.pop()
        if t == "SelectStmt":
            yield f, above
        chain = above + [(t, f)]
        for k, v in f.items():
            if type(v) is dict:
                st = ft.get((t, k))
                if st is not None:
                    stack.append((st, v, chain))
                elif len(v) == 1:
                    ((kk, vv),) = v.items()
                    if type(vv) is dict and kk[:1].isupper():
                        stack.append((kk, vv, chain))
            elif type(v) is list:
                for item in v:
                    if type(item) is dict and len(item) == 1:
                        ((kk, vv),) = item.items()
                        if type(vv) is dict:
                            stack.append((kk, vv, chain))


def _context(ctx, parent, ancestors) -> str | None:
    """What the SELECT's columns feed, or None when they do not matter."""
    if parent is None:
        node = ctx.stmt.node
        if node.get("intoClause"):
            return None  # SELECT ... INTO new_table: a snapshot copy
        if ctx.stmt.origin != "top" and _plpgsql_keeps_rows(ctx):
            return None
        return "function" if ctx.stmt.origin == "function" else "query"
    if parent == "SubLink":
        sub = ancestors[-1][1]
        if sub.get("subLinkType") == "EXISTS_SUBLINK":
            return None
        return "subquery"
    if parent == "CreateTableAsStmt":
        obj = ancestors[-1][1].get("objtype")
        return "matview" if obj == "OBJECT_MATVIEW" else None
    if parent == "ViewStmt":
        return "view"
    if parent == "InsertStmt":
        return "insert"
    if ctx.stmt.origin == "function":
        return "function"
    return "query"


def _plpgsql_keeps_rows(ctx) -> bool:
    """PERFORM, SELECT ... INTO and FOR ... IN query: PL/pgSQL takes the row as it comes."""
    parent = ctx.stmt.parent
    if parent is None or parent.plpgsql is None:
        return False
    state = ctx.rule_state()
    key = ("keeps", parent.index)
    offsets = state.get(key)
    if offsets is None:
        body = Body.of(parent)
        offsets = state[key] = rows_kept_offsets(body) if body is not None else set()
    return ctx.stmt.unit.base in offsets


def _visible_ctes(ancestors, node) -> dict:
    ctes: dict = {}
    for _, f in list(ancestors) + [("SelectStmt", node)]:
        wc = f.get("withClause") if isinstance(f, dict) else None
        for c in (wc or {}).get("ctes") or ():
            cte = c.get("CommonTableExpr") or {}
            name = cte.get("ctename")
            if name:
                ctes[name] = cte
    return ctes


def _leaves(sel: dict):
    """The SELECTs of a set operation (UNION / INTERSECT / EXCEPT), left to right."""
    if sel.get("op", "SETOP_NONE") != "SETOP_NONE":
        yield from _leaves(sel.get("larg") or {})
        yield from _leaves(sel.get("rarg") or {})
    else:
        yield sel


def _fragile_stars(sel: dict, ctes: dict, seen: set):
    """(star ColumnRef, relation it expands over) for each star of the SELECT's output
    that expands over a table or view."""
    for leaf in _leaves(sel):
        local = dict(ctes)
        for c in ((leaf.get("withClause") or {}).get("ctes") or ()):
            cte = c.get("CommonTableExpr") or {}
            if cte.get("ctename"):
                local[cte["ctename"]] = cte
        for rt in leaf.get("targetList") or ():
            val = (rt.get("ResTarget") or {}).get("val") or {}
            cr = val.get("ColumnRef")
            if not cr:
                continue
            fields = cr.get("fields") or []
            if not fields or "A_Star" not in fields[-1]:
                continue
            qual = strings(fields[:-1])
            for item in leaf.get("fromClause") or ():
                rel = _expands(item, qual[-1] if qual else None, local, seen)
                if rel is not None:
                    yield cr, rel
                    break


def _expands(item: dict, qual: str | None, ctes: dict, seen: set):
    """The table a star (``qual.*`` or ``*``) reaches through FROM item ``item``, if any."""
    if not isinstance(item, dict) or len(item) != 1:
        return None
    ((t, f),) = item.items()
    if t == "JoinExpr":
        if qual is not None and (f.get("alias") or {}).get("aliasname") == qual:
            qual = None
        return _expands(f.get("larg") or {}, qual, ctes, seen) or _expands(f.get("rarg") or {}, qual, ctes, seen)
    if t == "RangeTableSample":
        return _expands(f.get("relation") or {}, qual, ctes, seen)
    if t == "RangeVar":
        name = (f.get("alias") or {}).get("aliasname") or f.get("relname")
        if qual is not None and qual != name:
            return None
        cte = ctes.get(f.get("relname")) if not f.get("schemaname") else None
        if cte is not None:
            key = id(cte)
            if key in seen:
                return None
            q = cte.get("ctequery") or {}
            sel = q.get("SelectStmt")
            if sel is None:
                return None  # a data-modifying CTE: RETURNING decides
            inner = next(iter(_fragile_stars(sel, ctes, seen | {key})), None)
            return inner[1] if inner else None
        return f
    if t == "RangeSubselect":
        if qual is not None and (f.get("alias") or {}).get("aliasname") != qual:
            return None
        sel = (f.get("subquery") or {}).get("SelectStmt")
        if sel is None:
            return None
        inner = next(iter(_fragile_stars(sel, ctes, seen)), None)
        return inner[1] if inner else None
    return None  # functions, VALUES, XMLTABLE ...: their columns are fixed in the query


def _returns_rowtype_of(ctx, parent, rel: dict) -> bool:
    """`RETURNS [SETOF] t` with `SELECT * FROM t` as the result: both follow t."""
    fn = ctx.stmt.parent
    if parent is not None or ctx.stmt.origin != "function" or fn is None or fn.type != "CreateFunctionStmt":
        return False
    rt = strings((fn.node.get("returnType") or {}).get("names"))
    if not rt:
        return False
    if rt[-1] != rel.get("relname"):
        return False
    schema = rel.get("schemaname")
    return len(rt) == 1 or schema is None or rt[0] == schema


_WHY = {
    "view": ("the view's columns are fixed when it is created: columns added to {t} later never appear, and every "
             "column of {t} becomes a dependency, so ALTER TABLE {t} DROP COLUMN fails (or CASCADE drops the view)"),
    "matview": ("the materialized view's columns are fixed when it is created: columns added to {t} later never "
                "appear, and every column of {t} becomes a dependency, so ALTER TABLE {t} DROP COLUMN fails (or "
                "CASCADE drops the view)"),
    "insert": ("INSERT ... SELECT * pairs columns by position: when a column is added to either table (or their "
               "orders differ) it fails, or writes values into the wrong columns when the types happen to match"),
    "function": ("the function's result follows {t}: adding, dropping or reordering a column of {t} breaks its "
                 "callers (or RETURN QUERY fails with 'structure of query does not match function result type')"),
    "subquery": ("the subquery's columns follow {t}: adding a column to {t} changes (or breaks) the comparison or "
                 "value it feeds"),
    "query": ("the result's columns follow {t}: it reads every column (more I/O, no index-only scan), and adding, "
              "dropping or reordering a column of {t} changes what the code reading it gets"),
}


def _report(ctx, star: dict, rel: dict, context: str) -> None:
    t = qname(rel)
    fields = star.get("fields") or []
    written = ".".join(strings(fields[:-1]) + ["*"])
    ctx.report(f"{written} expands to the columns {t} has today: " + _WHY[context].format(t=t),
               at=star, relation=rel, help=_help(ctx, rel, written))


def _help(ctx, rel: dict, written: str) -> str:
    return f"List the columns you need instead of {written}: SELECT id, name, ... FROM {qname(rel)}."

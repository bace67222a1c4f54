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
from ..model.nodes import field_types, strings, walk
from ..model.plpgsql import Body, rows_kept_offsets
from ..model.stars import expand_stars
from ._common import qname
from ._fixes import DISPLAY_ONLY, UNSAFE, Fix, iter_tokens, quote_ident, replace

RULE = Rule(
    "PG401", "select-star",
    summary="SELECT * / t.* in a view, a function, INSERT ... SELECT or a query: its columns follow the table",
    category="queries",
    needs=("*",), scope=EVERYWHERE, fix="sometimes",
)

# parents under which a SELECT's column list does not matter
_NOT_OUTPUT_PARENTS = frozenset({"ExplainStmt"})
# parents whose SELECT is expanded by an enclosing query (checked from there)
_INNER_PARENTS = frozenset({"RangeSubselect", "CommonTableExpr", "SelectStmt"})


@RULE.on("*")
def check(ctx, stmt):
    # only statements with a * can have one: skip decoding the others
    if stmt.type == "CreateFunctionStmt" or ctx.sql.find("*", stmt.start, stmt.end) < 0:
        return
    js = stmt.json_text  # undecoded yet: a star shows as "A_Star"
    if js is not None and '"A_Star"' not in js:
        return
    todo = []
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
        for star, rel, leaf in stars:
            if _returns_rowtype_of(ctx, parent, rel):
                continue
            todo.append((star, rel, context, leaf))
    if not todo:
        return
    # the stars whose expansion needs sqlglot are resolved in one call for the statement
    found = [(star, rel, context, leaf, _star_span(ctx, star)) for star, rel, context, leaf in todo]
    planned = [_expansion(ctx, rel, span, leaf, context, _qualifier(star)) if span is not None else None
               for star, rel, context, leaf, span in found]
    asks = [i for i, p in enumerate(planned) if p is _ASK_SQLGLOT]
    if asks:
        got = _resolve(ctx, [found[i][4] for i in asks])
        for i, columns in zip(asks, got):
            planned[i] = columns
    for (star, rel, context, leaf, span), columns in zip(found, planned):
        _report(ctx, star, rel, context, leaf, span, columns)


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
    """(star ColumnRef, relation it expands over, its SELECT) for each star of the SELECT's output
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
                    yield cr, rel, leaf
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


# what the star's columns feed: (the message's words, the explanation)
_WHY = {
    "view": ("fixes the view's columns to those {t} has today",
             "A view's columns are fixed when it is created: columns added to the table later never appear, and every "
             "column of the table becomes a dependency, so ALTER TABLE ... DROP COLUMN fails (or CASCADE drops the "
             "view)."),
    "matview": ("fixes the materialized view's columns to those {t} has today",
                "A materialized view's columns are fixed when it is created: columns added to the table later never "
                "appear, and every column of the table becomes a dependency, so ALTER TABLE ... DROP COLUMN fails (or "
                "CASCADE drops the view)."),
    "insert": ("in INSERT ... SELECT pairs the columns of {t} by position",
               "INSERT ... SELECT * pairs columns by position: when a column is added to either table (or their "
               "orders differ) it fails, or writes values into the wrong columns when the types happen to match."),
    "function": ("makes the function's result follow the columns of {t}",
                 "Adding, dropping or reordering a column of the table breaks the function's callers (or RETURN QUERY "
                 "fails with 'structure of query does not match function result type')."),
    "subquery": ("makes the subquery's columns follow those of {t}",
                 "Adding a column to the table changes (or breaks) the comparison or value the subquery feeds."),
    "query": ("makes the result's columns follow those of {t}",
              "It reads every column (more I/O, no index-only scan), and adding, dropping or reordering a column of "
              "the table changes what the code reading the result gets."),
}


def _qualifier(star: dict) -> str | None:
    qual = strings((star.get("fields") or [])[:-1])
    return qual[-1] if qual else None


def _report(ctx, star: dict, rel: dict, context: str, leaf: dict, span, columns) -> None:
    t = qname(rel)
    fields = star.get("fields") or []
    qual = strings(fields[:-1])
    written = ".".join(qual + ["*"])
    if columns is None:
        help = f"List the columns you need instead of {written}: SELECT id, name, ... FROM {t}."
        fix = Fix(f"List the columns of {t} you need (pglint does not know them)",
                  (replace(*span, f"/* the columns of {t} you need */"),), DISPLAY_ONLY) if span else None
    elif columns[0][0] == "?":  # the table's columns, not resolved through the query's scopes
        names = ", ".join(quote_ident(n) for _, n in columns)
        help = f"List the columns you need instead of {written}; {t} has: {_shorten(names)}."
        fix = Fix("List the columns you need", (replace(*span, "/* the columns you need */"),), DISPLAY_ONLY)
    else:
        names = ", ".join(quote_ident(n) for _, n in columns)
        help = f"List the columns you need instead of {written}; today it expands to: {_shorten(names)}."
        fix = _fix(ctx, span, columns, qual, leaf)
    words, why = _WHY[context]
    ctx.report(f"{written} " + words.format(t=t), explanation=why,
               at=span or star, relation=rel, help=help, fix=fix)


def _directly(item: dict, rel: dict) -> bool:
    """Whether FROM item ``item`` is the RangeVar ``rel`` or joins it (not through a subquery
    or a CTE)."""
    if not isinstance(item, dict) or len(item) != 1:
        return False
    ((t, f),) = item.items()
    if t == "RangeVar":
        return f is rel
    if t == "JoinExpr":
        return _directly(f.get("larg") or {}, rel) or _directly(f.get("rarg") or {}, rel)
    if t == "RangeTableSample":
        return _directly(f.get("relation") or {}, rel)
    return False


def _star_span(ctx, star: dict) -> tuple[int, int] | None:
    """From the star's first qualifier to just past the ``*``."""
    loc = ctx.stmt.loc(star)
    if loc is None:
        return None
    for tok in iter_tokens(ctx, loc):
        if tok.name == "ASCII_42":
            return loc, tok.end
    return None


def _expansion(ctx, rel: dict, span: tuple[int, int], leaf: dict, context: str, qualifier: str | None = None):
    """[(qualifier, column)] the star stands for, when the model knows the columns of
    every relation it reaches.

    A star over the one table of its FROM needs no scope resolution: the model's columns.
    Joins, subqueries and CTEs go to sqlglot, for the stars whose expansion is kept (views,
    INSERT ... SELECT, function results); for a plain query (regression suites hold
    thousands) sqlglot's few milliseconds per statement are not spent, and the help lists
    the columns of the table the star reaches instead."""
    schema = ctx.schema
    table = schema.tables.get(schema.rv_key(rel))
    if table is None or not table.complete or not table.columns:
        return None  # the star's own table is unknown: do not ask sqlglot
    sources = leaf.get("fromClause") or ()
    if len(sources) == 1 and sources[0].get("RangeVar") is rel:
        return [(None, c) for c in table.columns]
    if context in ("query", "subquery"):
        return [("?", c) for c in table.columns]
    if qualifier is not None and any(_directly(item, rel) for item in sources):
        # `t.*` over a table of this SELECT's own FROM: its columns, whatever else is joined
        # (PostgreSQL keeps a USING column in t.*); no scope resolution to ask sqlglot for
        return [(qualifier, c) for c in table.columns]
    return _ASK_SQLGLOT


_ASK_SQLGLOT = object()  # _expansion's answer when the query's scopes must be resolved


def _resolve(ctx, spans: list[tuple[int, int]]) -> list:
    """The expansions of several stars of the statement, by one sqlglot call against the
    columns the model knows for the relations it reads."""
    schema = ctx.schema
    relations = {}
    for typ, rv in walk(ctx.stmt.node, ctx.stmt.type):
        if typ != "RangeVar" or not rv.get("relname"):
            continue
        t = schema.tables.get(schema.rv_key(rv))
        if t is not None and t.complete and t.columns:
            relations[(rv.get("schemaname"), rv["relname"])] = list(t.columns)
    s = ctx.stmt
    got = expand_stars(ctx.sql[s.start:s.end], [(a - s.start, b - s.start) for a, b in spans], relations)
    return [g.columns if g is not None else None for g in got]


def _fix(ctx, span, columns, qual: list[str], leaf: dict) -> Fix:
    """Replace the star by its columns. Unsafe: right only while pglint's model of the
    tables matches the database. Display-only where an edit cannot be made exactly: a
    '...'-quoted function body, or a join whose columns would need qualifiers that the
    query does not spell."""
    title = f"Replace {'.'.join(qual + ['*'])} by the columns it stands for"
    text = ctx.sql[span[0]:span[1]]
    parent = ctx.stmt.parent
    quoted = parent is not None and parent.body is not None and parent.body[2] and ctx.stmt.origin != "top"
    if qual:
        prefix = text[: text.rindex(".") + 1]  # the qualifier as written
        out = ", ".join(prefix + quote_ident(n) for _, n in columns)
        return Fix(title, (replace(*span, out),), DISPLAY_ONLY if quoted else UNSAFE)
    sources = leaf.get("fromClause") or []
    if len(sources) == 1 and "JoinExpr" not in sources[0]:  # one source: bare names
        out = ", ".join(quote_ident(n) for _, n in columns)
        return Fix(title, (replace(*span, out),), DISPLAY_ONLY if quoted else UNSAFE)
    names = _source_names(sources)
    parts, exact = [], True
    for q, n in columns:
        if q is None:
            parts.append(quote_ident(n))
        else:
            exact = exact and q in names
            parts.append(f"{quote_ident(q)}.{quote_ident(n)}")
    return Fix(title, (replace(*span, ", ".join(parts)),), UNSAFE if exact and not quoted else DISPLAY_ONLY)


def _source_names(items) -> set[str]:
    """The names a query's FROM items can be referred to by (aliases, else relation names)."""
    out = set()
    for item in items:
        for typ, f in walk(item):
            if typ in ("RangeVar", "RangeSubselect", "RangeFunction", "JoinExpr"):
                alias = (f.get("alias") or {}).get("aliasname")
                if alias:
                    out.add(alias)
                elif typ == "RangeVar" and f.get("relname"):
                    out.add(f["relname"])
    return out


def _shorten(names: str, limit: int = 400) -> str:
    if len(names) <= limit:
        return names
    cut = names.rfind(", ", 0, limit)
    return names[:cut] + ", ..."

"""The PL/pgSQL side of a function or DO body, for rules that read more than the SQL
statements the parser already embeds: the body's text and where it sits in the file,
the function's variables ("datums"), its statements, and the expressions PL/pgSQL
evaluates itself (IF conditions, assignments, EXECUTE strings ...).

``stmt.plpgsql`` holds the tree from ``pglast.parser.parse_plpgsql_json`` and
``stmt.body`` = (file offset where the body text starts, end, single-quoted).
Statements carry ``lineno`` relative to the body; expressions are SQL text, parsed here
with pglast (``SELECT <expr>``) when a rule asks for their tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from pglast import parser as _pg

from ..source.parsing import locate_query
from ..source.statement import ParseUnit
from .nodes import defelem, sval

# parseMode of PLpgSQL_expr: 0 a statement, 2 an expression, 3-5 "target := expression"
MODE_STATEMENT = 0
MODE_EXPR = 2
ASSIGN_MODES = (3, 4, 5)


def body_source(stmt) -> str | None:
    """The body string of a CREATE FUNCTION / DO statement, as PL/pgSQL sees it."""
    node = stmt.node
    if stmt.type == "DoStmt":
        d = defelem(node.get("args"), "as")
        return sval(d.get("arg")) if d else None
    d = defelem(node.get("options"), "as")
    if not d:
        return None
    arg = d.get("arg") or {}
    items = arg.get("List", {}).get("items") if "List" in arg else [arg]
    if not items or len(items) != 1:
        return None
    return sval(items[0])


class Body:
    """A PL/pgSQL body's text and the way its offsets map to the file."""

    def __init__(self, stmt, text: str) -> None:
        self.stmt = stmt
        self.text = text
        self.start, self.end, self.quoted = stmt.body
        self.line_starts = [0]
        i = text.find("\n")
        while i >= 0:
            self.line_starts.append(i + 1)
            i = text.find("\n", i + 1)

    @classmethod
    def of(cls, stmt) -> "Body | None":
        if stmt.plpgsql is None or stmt.body is None:
            return None
        text = body_source(stmt)
        if text is None:
            return None
        return cls(stmt, text)

    def file_offset(self, k: int) -> int:
        """File offset of offset ``k`` of the body text ('' in a quoted body is one ')."""
        k = max(0, min(k, len(self.text)))
        return self.start + k + (self.text.count("'", 0, k) if self.quoted else 0)

    def line_offset(self, lineno: int) -> int:
        """Offset in the body text where body line ``lineno`` (1-based) starts."""
        n = min(max(lineno, 1), len(self.line_starts))
        return self.line_starts[n - 1]

    def find(self, query: str, lineno: int, after: int = 0) -> int | None:
        """Offset in the body text of ``query`` written on or after line ``lineno``."""
        at = self.text.find(query, max(self.line_offset(lineno), after))
        return at if at >= 0 else None

    def unit(self, k: int, prefix: str, text: str) -> ParseUnit:
        """A ParseUnit for ``prefix + text`` where ``text`` starts at body offset ``k``:
        node locations of that parse map back to the file."""
        base = self.file_offset(k) - len(prefix)
        return ParseUnit(prefix + text, base, self.quoted)

    def keyword_before(self, k: int, lineno: int, words: tuple[str, ...]) -> int | None:
        """Body offset of the last of ``words`` (keywords) between the start of line
        ``lineno`` and offset ``k``."""
        ls = self.line_offset(lineno)
        if ls > k:
            return None
        try:
            tokens = _pg.scan(self.text[ls:k])
        except Exception:  # noqa: BLE001 - a fragment the scanner rejects: no keyword
            return None
        best = None
        piece = self.text[ls:k]
        for t in tokens:
            if piece[t.start : t.end + 1].upper() in words:
                best = ls + t.start
        return best


def function_parameters(node: dict) -> list[dict]:
    """FunctionParameter fields of a CREATE FUNCTION / PROCEDURE, in order."""
    out = []
    for p in node.get("parameters") or ():
        f = p.get("FunctionParameter") if type(p) is dict else None
        if f is not None:
            out.append(f)
    return out


def datums(tree) -> list[tuple[str, dict]]:
    """(kind, fields) of every datum; a datum's number (varno, dno) is its index."""
    f = function_of(tree)
    out = []
    for d in (f or {}).get("datums") or ():
        if type(d) is dict and len(d) == 1:
            ((k, v),) = d.items()
            out.append((k, v))
        else:
            out.append(("", {}))
    return out


def function_of(tree) -> dict | None:
    for fn in tree or ():
        f = fn.get("PLpgSQL_function") if type(fn) is dict else None
        if f is not None:
            return f
    return None


def typname(var: dict) -> str:
    """Type name of a PLpgSQL_var as PL/pgSQL resolved it (int4, text, _text, t%rowtype)."""
    dt = var.get("datatype") or {}
    return (dt.get("PLpgSQL_type") or {}).get("typname", "") or ""


# -- expressions -------------------------------------------------------------------


def _parse_json(sql: str) -> str | None:
    try:
        return _pg.parse_sql_json(sql)
    except Exception:  # noqa: BLE001 - ParseError, or text pglast cannot take
        return None


@lru_cache(maxsize=8192)
def parse_statement(sql: str) -> tuple[str, dict] | None:
    """(type, fields) of the single statement ``sql`` (None if it does not parse).
    Cached: callers must not modify the tree."""
    js = _parse_json(sql)
    if js is None:
        return None
    try:
        stmts = json.loads(js).get("stmts") or []
    except (ValueError, RecursionError):
        return None
    if len(stmts) != 1:
        return None
    st = stmts[0].get("stmt") or {}
    if len(st) != 1:
        return None
    ((k, v),) = st.items()
    return k, v


@lru_cache(maxsize=8192)
def parse_expression(expr: str) -> dict | None:
    """The tree of a PL/pgSQL expression (the value of ``SELECT <expr>``'s first target),
    or the whole SelectStmt when the expression has more (``a FROM t``). Cached: callers
    must not modify the tree."""
    r = parse_statement("SELECT " + expr)
    if r is None or r[0] != "SelectStmt":
        return None
    sel = r[1]
    targets = sel.get("targetList") or []
    if len(targets) == 1 and not _has_clauses(sel):
        rt = targets[0].get("ResTarget") or {}
        return rt.get("val")
    return {"SelectStmt": sel}


def _has_clauses(sel: dict) -> bool:
    return any(sel.get(k) for k in ("fromClause", "whereClause", "groupClause", "havingClause",
                                     "sortClause", "limitCount", "limitOffset", "windowClause",
                                     "distinctClause", "intoClause", "withClause"))


@lru_cache(maxsize=8192)
def split_assignment(query: str) -> int | None:
    """Offset in ``query`` where the value of ``target := value`` starts."""
    try:
        tokens = _pg.scan(query)
    except Exception:  # noqa: BLE001
        return None
    depth = 0
    for t in tokens:
        name = t.name
        if name in ("ASCII_40", "ASCII_91"):
            depth += 1
        elif name in ("ASCII_41", "ASCII_93"):
            depth -= 1
        elif depth == 0 and name in ("COLON_EQUALS", "ASCII_61"):
            k = t.end + 1
            while k < len(query) and query[k].isspace():
                k += 1
            return k
    return None


@dataclass(slots=True)
class Expression:
    """An expression PL/pgSQL evaluates itself, located in the file."""

    lineno: int
    text: str  # the expression (for an assignment: the value after :=)
    tree: dict | None  # parse_expression(text)
    unit: ParseUnit | None  # maps locations in ``"SELECT " + text`` to file offsets
    owner: str  # the PL/pgSQL statement type (PLpgSQL_stmt_if ...) or "declare"


_PREFIX = "SELECT "


def expressions(body: Body, words: tuple[str, ...] = (), keep=None) -> list[Expression]:
    """Every expression (not full SQL statements, which are embedded statements already)
    of the body, in body order, located in the file where their text can be found.
    ``words``: only the expressions whose text holds one of them (lower case);
    ``keep(text)``: a further test of the text (lower case), before it is parsed."""
    out: list[Expression] = []
    cursor: dict[int, int] = {}
    for lineno, e, owner in _raw_expressions(body.stmt):
        mode = e.get("parseMode", 0)
        query = e.get("query", "")
        if mode == MODE_STATEMENT or not query:
            continue
        if words and not any(w in query.lower() for w in words):
            continue
        if keep is not None and not keep(query.lower()):
            continue
        at = body.find(query, lineno, cursor.get(lineno, 0))
        if at is None:
            continue  # generated text (CASE ... WHEN): not in the source
        cursor[lineno] = at + len(query)
        text = query
        if mode in ASSIGN_MODES:
            k = split_assignment(query)
            if k is None:
                continue
            text = query[k:]
            at += k
        out.append(Expression(lineno, text, parse_expression(text), body.unit(at, _PREFIX, text), owner))
    return out


_RAW_CACHE: dict[int, tuple] = {}


def _raw_expressions(stmt) -> list[tuple[int, dict, str]]:
    """(lineno, PLpgSQL_expr fields, owner) of the body, in body order (cached: several
    rules read them)."""
    hit = _RAW_CACHE.get(id(stmt))
    if hit is not None and hit[0] is stmt:
        return hit[1]
    if len(_RAW_CACHE) > 32:
        _RAW_CACHE.clear()
    f = function_of(stmt.plpgsql) or {}
    raw: list[tuple[int, dict, str]] = []
    for kind, d in datums(stmt.plpgsql):
        dv = d.get("default_val")
        if dv and d.get("lineno"):
            raw.append((d["lineno"], dv.get("PLpgSQL_expr") or {}, "declare"))
    stack = [(f.get("action"), 0, "")]
    while stack:
        node, lineno, owner = stack.pop()
        if type(node) is list:
            for v in reversed(node):
                stack.append((v, lineno, owner))
            continue
        if type(node) is not dict:
            continue
        ln = node.get("lineno", lineno)
        for k, v in reversed(list(node.items())):  # reversed pushes: popped in order
            if k == "PLpgSQL_expr":
                stack.append(({"": v}, ln, owner))
            elif k == "" and type(v) is dict:
                raw.append((ln, v, owner))
            elif type(v) in (dict, list):
                stack.append((v, ln, k if k.startswith("PLpgSQL_stmt") else owner))
    raw.sort(key=lambda x: x[0])
    _RAW_CACHE[id(stmt)] = (stmt, raw)
    return raw


def rows_kept_offsets(body: Body) -> set[int]:
    """File offsets (where the embedded statement's text is taken from) of the queries
    whose rows PL/pgSQL keeps or discards itself: PERFORM, SELECT ... INTO, and FOR ...
    IN query loops."""
    found: list[tuple[int, str]] = []
    f = function_of(body.stmt.plpgsql) or {}
    stack = [(f.get("action"), 0)]
    while stack:
        node, lineno = stack.pop()
        if type(node) is list:
            stack.extend((v, lineno) for v in node)
            continue
        if type(node) is not dict:
            continue
        for k, v in node.items():
            if type(v) not in (dict, list):
                continue
            ln = v.get("lineno", lineno) if type(v) is dict else lineno
            q = None
            if k == "PLpgSQL_stmt_perform":
                q = (v.get("expr") or {}).get("PLpgSQL_expr", {}).get("query")
            elif k == "PLpgSQL_stmt_execsql" and v.get("into"):
                q = (v.get("sqlstmt") or {}).get("PLpgSQL_expr", {}).get("query")
            elif k == "PLpgSQL_stmt_fors":
                q = (v.get("query") or {}).get("PLpgSQL_expr", {}).get("query")
            if q:
                found.append((ln, q))
            stack.append((v, ln))
    out = set()
    for lineno, q in found:
        at = locate_query(body.text, q, lineno, body.line_starts)  # as the parser embeds it
        out.add(body.start + at + (body.text.count("'", 0, at) if body.quoted else 0))
    return out


def aliases(text: str) -> dict[str, str]:
    """``name ALIAS FOR target`` declarations of a body (PL/pgSQL keeps them out of the
    tree): alias -> target ($n or a variable name), lower-cased like unquoted names."""
    try:
        tokens = _pg.scan(text)
    except Exception:  # noqa: BLE001
        return {}
    out = {}
    words = [(t.name, text[t.start : t.end + 1]) for t in tokens]
    for i in range(len(words) - 4):
        (n0, w0), (n1, w1), (n2, _), (n3, w3), (n4, _) = words[i : i + 5]
        if w1.lower() == "alias" and n2 == "FOR" and n4 == "ASCII_59" and n3 in ("PARAM", "IDENT"):
            name = w0[1:-1] if w0.startswith('"') else w0.lower()
            out[name] = w3 if n3 == "PARAM" else (w3[1:-1] if w3.startswith('"') else w3.lower())
    return out

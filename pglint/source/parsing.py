"""Turn a file's text into statements with pglast (libpg_query's JSON parse tree).

Fast path: a file that needs no preprocessing is parsed whole by PostgreSQL's parser,
which also gives the statement boundaries. Otherwise (psql meta-commands, variables,
placeholders, goose/dbmate sections, pglint directives, or a syntax error somewhere)
the psql-aware lexer splits it and every chunk is parsed on its own, so one bad
statement never hides the others. PL/pgSQL and SQL function bodies and DO blocks are
parsed too; the SQL statements inside them become embedded statements.
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_right
from dataclasses import dataclass, field

from pglast import parser as _pg

from .lexer import DOLLAR_TAG, Marker, compile_placeholders, lex, substitute_placeholders
from .templates import prepare_go_template
from .spans import atomic_spans, trim_trailing_comment
from .statement import DO, FUNCTION, ParseUnit, Statement, SyntaxProblem
from .text import SourceText, asciify

# Annotations and directives live in comments, which only the lexer reports.
_LEXER_WORDS = ("+goose", "migrate:", "pglint", "squawk-ignore", "atlas:nolint")
_META = re.compile(r"\\[A-Za-z!?;.\\]")
_VAR = re.compile(r":['\"A-Za-z_{]")


def _needs_lexer(text: str) -> bool:
    """Whether the text holds anything PostgreSQL's parser must not see as is
    (psql meta-commands or variables) or comments pglint must read."""
    for w in _LEXER_WORDS:
        if w in text:
            return True
    if "\\" in text:
        for m in _META.finditer(text):
            i = m.start()
            if i == 0 or text[i - 1] in " \t\r\n;":
                return True
    if ":" in text:
        for m in _VAR.finditer(text):
            i = m.start()
            if i == 0:
                return True
            prev = text[i - 1]
            if not (prev == ":" or prev == "]" or prev == ")" or prev.isalnum() or prev == "_"):
                return True
    return False


_NEAR = re.compile(r'at or near "([^"]+)"')
_DOLLAR_TAG = re.compile(DOLLAR_TAG)

_DEFAULT_PATTERNS = None


def _default_patterns():
    global _DEFAULT_PATTERNS
    if _DEFAULT_PATTERNS is None:
        _DEFAULT_PATTERNS = compile_placeholders()
    return _DEFAULT_PATTERNS


@dataclass(slots=True)
class ParsedFile:
    sql: str  # the text the parser saw (same length as the file's text)
    statements: list[Statement]  # top-level statements in file order
    errors: list[SyntaxProblem]
    comments: list[tuple[int, int]] | None  # None: file was not lexed (no directives)
    markers: list[Marker] = field(default_factory=list)
    placeholders: list[tuple[int, int]] = field(default_factory=list)
    _lower: str | None = None
    # how each section runs, when the file's reader says (Python migrations: python/history.py)
    section_tx: dict | None = None
    # JSON size of the PL/pgSQL trees kept decoded from parsing to linting (TREE_BUDGET)
    tree_json: int = 0
    # (offset, text): SQL a Go template action writes when the migration runs (source/templates.py)
    template_notes: list[tuple[int, str]] = field(default_factory=list)

    def lower(self) -> str:
        """The text in lower case, offset for offset (a character whose lower case is longer,
        such as U+0130, keeps its case: keywords are ASCII), computed once."""
        low = self._lower
        if low is None:
            low = self.sql.lower()
            if len(low) != len(self.sql):
                low = self.sql.translate(_ASCII_LOWER)
            self._lower = low
        return low

    def all_comments(self) -> list[tuple[int, int]]:
        """Comments of the file, including those inside dollar-quoted function bodies
        that mention pglint (suppressions may sit next to the statement they silence)."""
        out = list(self.comments or ())
        for s in self.statements:
            b = s.body
            if b is None or b[2] or "pglint" not in self.sql[b[0]:b[1]]:
                continue
            out.extend((b[0] + cs, b[0] + ce) for cs, ce in lex(self.sql[b[0]:b[1]]).comments)
        return out

    def release(self) -> None:
        """Break the statement <-> embedded statement links once the file is done, so that
        reference counting frees its parse trees at once (the runner keeps Python's
        cyclic garbage collector off while it lints: see engine/runner.py)."""
        for s in list(self.all_statements()):
            s.parent = None
            s.embedded = []

    def all_statements(self):
        """Top-level statements, each followed by the statements embedded in it."""
        for s in self.statements:
            yield s
            if s.embedded:
                yield from _embedded_walk(s)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _embedded_walk(s: Statement):
    for e in s.embedded:
        yield e
        if e.embedded:
            yield from _embedded_walk(e)


class _Deep(Exception):
    pass


def _loads(js: str):
    """json.loads that survives parse trees nested deeper than Python's recursion limit."""
    try:
        return json.loads(js)
    except RecursionError:
        pass
    result: list = []

    def work():
        import sys

        old = sys.getrecursionlimit()
        sys.setrecursionlimit(200_000)
        try:
            result.append(json.loads(js))
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            result.append(exc)
        finally:
            sys.setrecursionlimit(old)

    old_size = threading.stack_size()
    try:
        threading.stack_size(512 * 1024 * 1024)
        t = threading.Thread(target=work)
        t.start()
        t.join()
    finally:
        threading.stack_size(old_size)
    r = result[0] if result else _Deep()
    if isinstance(r, BaseException):
        raise _Deep() from r
    return r


_PIECE_HEAD = re.compile(r'\{"(\w+)":')
_STMT_SEP = ',{"stmt":'


def split_statements_json(js: str) -> list[str]:
    """Cut libpg_query's JSON into one text per statement: what follows its '{"stmt":'
    (the statement's node, then its location and length, then the RawStmt's closing '}').

    ``{"stmt":`` occurs once per statement (only RawStmt has that key, and inside JSON
    strings quotes are escaped), so the pieces can be found without decoding. The whole
    text is split once, with no intermediate copy (a large file's JSON is hundreds of MB).
    """
    i = js.find('"stmts":[{"stmt":')
    if i < 0:
        return []
    parts = js.split(_STMT_SEP)
    parts[0] = parts[0][i + 17:]
    last = parts[-1]
    parts[-1] = last[: last.rindex("]")]
    return parts


def _piece_span(piece: str) -> tuple[int, int]:
    """(stmt_location, stmt_len) from the tail of a statement piece (0 when absent)."""
    tail = piece[-60:]
    loc = ln = 0
    k = tail.rfind('"stmt_len":')
    if k >= 0:
        ln = int(tail[k + 11 :].rstrip("}"))
        tail = tail[:k]
    k = tail.rfind('"stmt_location":')
    if k >= 0:
        loc = int(tail[k + 16 :].rstrip(",}"))
    return loc, ln


def decode_plpgsql(raw: str) -> list:
    """A PL/pgSQL tree kept as JSON (it decoded once already, so it decodes again)."""
    return _loads(raw)


def decode_statement(piece: str, typ: str) -> dict:
    try:
        return _loads('{"stmt":' + piece)["stmt"][typ]
    except _Deep:
        return {}


def _error_offset(text: str, exc: Exception) -> int | None:
    """Str offset in ``text`` of a parse error (pglast's index is wrong on non-ASCII text)."""
    idx = exc.args[1] if len(exc.args) > 1 else None
    if idx is None:
        return None
    if text.isascii():
        return idx
    try:
        _pg.parse_sql_json(asciify(text))
    except _pg.ParseError as exc2:
        b = exc2.args[1] if len(exc2.args) > 1 else None
        if b is None:
            return None
        # asciify() makes str offsets equal UTF-8 byte offsets of the original
        return len(text.encode("utf-8")[:b].decode("utf-8", "ignore"))
    return idx


def _message(exc: Exception) -> str:
    msg = str(exc.args[0] if exc.args else exc)
    # an unterminated comment or quote quotes the whole rest of the file: keep its start
    return _NEAR_LONG.sub(lambda m: f'at or near "{m.group(1).splitlines()[0][:60]}..."', msg)


_NEAR_LONG = re.compile(r'at or near "([^\n]*\n[\s\S]*)"$')


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _lstrip_start(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


class _Builder:
    def __init__(self, src: SourceText, sql: str) -> None:
        self.src = src
        self.sql = sql
        self.statements: list[Statement] = []
        self.errors: list[SyntaxProblem] = []
        self.index = 0

    def _add_all(self, unit: ParseUnit, pieces: list[str]) -> None:
        """Add the statements of a parser JSON result (split_statements_json), leaving
        their trees undecoded."""
        sql = self.sql
        for piece in pieces:
            m = _PIECE_HEAD.match(piece)
            if m is None:
                continue
            typ = m.group(1)
            loc, ln = _piece_span(piece)
            start = unit.offset(loc)
            end = unit.offset(loc + ln) if ln else unit.base + len(unit.text)
            start = _lstrip_start(sql, start, end)
            end = trim_trailing_comment(sql, start, _rstrip_end(sql, start, end))
            self.statements.append(Statement(self.index, start, end, typ, None, unit, json_text=piece))
            self.index += 1

    def parse_whole(self) -> bool:
        """Parse the whole file at once; False if it has a syntax error."""
        try:
            # split at once, so that the whole JSON text is freed before the pieces are used
            pieces = split_statements_json(_pg.parse_sql_json(self.sql))
        except _pg.ParseError:
            return False
        self._add_all(ParseUnit(self.sql, 0), pieces)
        return True

    def parse_chunk(self, start: int, end: int, inner: list[int]) -> None:
        text = self.sql[start:end]
        problem = self._try_parse(text, start)
        if problem is None:
            return
        if inner:
            # Unbalanced parentheses (or a BEGIN ATOMIC heuristic) merged several
            # statements: parse the pieces between the inner semicolons on their own.
            bounds = [start] + [i + 1 for i in inner] + [end]
            cuts = [start] + inner + [end]
            pieces = []
            for k in range(len(cuts) - 1):
                ps = bounds[k]
                pe = cuts[k + 1]
                ps = _lstrip_start(self.sql, ps, pe)
                pe = _rstrip_end(self.sql, ps, pe)
                if ps < pe:
                    pieces.append((ps, pe))
            if len(pieces) > 1:
                for ps, pe in pieces:
                    p = self._try_parse(self.sql[ps:pe], ps)
                    if p is not None:
                        self.errors.append(p)
                return
        self.errors.append(problem)

    def _terminator(self, end: int) -> int | None:
        """Offset of the ";" that ends a chunk ending at ``end`` (blanks between), if any."""
        sql = self.sql
        i = end
        n = len(sql)
        while i < n and sql[i] in " \t\r\n\f":
            i += 1
        return i if i < n and sql[i] == ";" else None

    def _try_parse(self, text: str, base: int) -> SyntaxProblem | None:
        try:
            js = _pg.parse_sql_json(text)
        except _pg.ParseError as exc:
            end = base + len(text)
            semi = self._terminator(end)
            if semi is not None and "at end of input" in _message(exc):
                # the chunk was cut before its ";": PostgreSQL reads the ";" and reports it
                # (syntax error at or near ";"), not the end of the input one column earlier
                full = self.sql[base:semi + 1]
                try:
                    _pg.parse_sql_json(full)
                except _pg.ParseError as exc2:
                    exc, text = exc2, full
            off = _error_offset(text, exc)
            pos = end if off is None else base + min(off, len(text))
            return SyntaxProblem(base, end, pos, _message(exc))
        self._add_all(ParseUnit.span(self.sql, base, base + len(text)), split_statements_json(js))
        return None


def parse_file(src: SourceText, placeholder_patterns=None, force_lexer: bool = False) -> ParsedFile:
    patterns = placeholder_patterns or _default_patterns()
    # Go templates' dialect branches first: what PostgreSQL never receives is blanked
    text, template_notes = prepare_go_template(src.text)
    text, placeholders = substitute_placeholders(text, patterns)
    if not force_lexer and not _needs_lexer(text):
        b = _Builder(src, text)
        if b.parse_whole():
            pf = ParsedFile(text, b.statements, b.errors, None, [], placeholders, template_notes=template_notes)
            _embed_all(pf)
            return pf
    lexed = lex(text)
    b = _Builder(src, lexed.sql)
    for c in lexed.chunks:
        b.parse_chunk(c.start, c.end, c.inner_semicolons)
    pf = ParsedFile(lexed.sql, b.statements, b.errors, lexed.comments, lexed.markers, placeholders,
                    template_notes=template_notes)
    if lexed.markers:
        _assign_sections(pf)
    _embed_all(pf)
    return pf


def _assign_sections(pf: ParsedFile) -> None:
    """Number goose/dbmate sections and flag the down (rollback) ones."""
    bounds: list[int] = []
    kinds: list[str] = []
    for m in pf.markers:
        if m.name in ("up", "down"):
            bounds.append(m.offset)
            kinds.append(m.name)
    if not bounds:
        return
    for s in pf.statements:
        k = bisect_right(bounds, s.start) - 1
        if k >= 0:
            s.section = k + 1
            s.rollback = kinds[k] == "down"
    for e in pf.errors:
        k = bisect_right(bounds, e.start) - 1
        if k >= 0:
            e.rollback = kinds[k] == "down"


# -- bodies of functions and DO blocks -------------------------------------------


def _defelem(options, name: str):
    for o in options or ():
        d = o.get("DefElem")
        if d and d.get("defname") == name:
            return d
    return None


def _language(options) -> str:
    d = _defelem(options, "language")
    if d:
        arg = d.get("arg", {})
        s = arg.get("String", {}).get("sval")
        if s:
            return s.lower()
    return ""


def _embed_all(pf: ParsedFile) -> None:
    for s in pf.statements:
        if s.type == "CreateFunctionStmt" or s.type == "DoStmt":
            _embed(pf, s)


def _body(s: Statement):
    """(language, body text, body DefElem) of a function or DO statement."""
    node = s.node
    if s.type == "DoStmt":
        opts = node.get("args")
        lang = _language(opts) or "plpgsql"
        d = _defelem(opts, "as")
        if not d:
            return lang, None, None
        return lang, d.get("arg", {}).get("String", {}).get("sval"), d
    opts = node.get("options")
    lang = _language(opts) or ("sql" if node.get("sql_body") else "")
    d = _defelem(opts, "as")
    if not d:
        return lang, None, None
    arg = d.get("arg", {})
    items = arg.get("List", {}).get("items") if "List" in arg else [arg]
    if not items or len(items) != 1:
        return lang, None, None  # C function: AS 'obj_file', 'link_symbol'
    return lang, items[0].get("String", {}).get("sval"), d


def _body_start(pf: ParsedFile, s: Statement, body: str, d: dict) -> tuple[int, bool] | None:
    """File offset where the body text starts, and whether it is a '...' literal."""
    sql = pf.sql
    loc = d.get("arg_location", -1)
    pos = s.offset(loc) if loc is not None and loc >= 0 else None
    if pos is not None and pos < len(sql):
        ch = sql[pos]
        if ch == "$":
            m = _DOLLAR_TAG.match(sql, pos)
            if m and sql.startswith(body, m.end()):
                return m.end(), False
        elif ch in "eE" and sql.startswith("'", pos + 1):
            return pos + 2, True
        elif ch == "'":
            return pos + 1, True
    i = sql.find(body, s.start, s.end)
    if i >= 0:
        return i, False
    return None


# How much PL/pgSQL (in JSON characters) a file keeps decoded between parsing and linting:
# the trees of a file's first bodies stay decoded (no second decoding for ordinary
# files); past that, memory follows the body being linted, not the file (issue 17).
TREE_BUDGET = 4_000_000

# PL/pgSQL statements that run a query string built at run time (dynquery: RETURN QUERY
# EXECUTE and OPEN ... FOR EXECUTE)
_DYNAMIC_KEYS = ('"PLpgSQL_stmt_dynexecute"', '"PLpgSQL_stmt_dynfors"', '"dynquery"')


def _embed(pf: ParsedFile, s: Statement) -> None:
    origin = DO if s.type == "DoStmt" else FUNCTION
    lang, body, d = _body(s)
    if s.type == "CreateFunctionStmt" and s.node.get("sql_body"):
        _embed_atomic(s, pf.sql)
        return
    if body is None or d is None or lang not in ("plpgsql", "sql"):
        return
    located = _body_start(pf, s, body, d)
    if located is None:
        return
    body_start, quoted = located
    s.body = (body_start, body_start + len(body) + (body.count("'") if quoted else 0), quoted)
    if lang == "sql":
        _embed_sql(pf, s, body, body_start, quoted, origin)
        return
    try:
        raw = _pg.parse_plpgsql_json(pf.sql[s.start : s.end])
        tree = _loads(raw)
    except (_pg.ParseError, _Deep) as exc:
        msg = _message(exc)
        pos = body_start
        m = _NEAR.search(msg)
        if m:  # the PL/pgSQL parser gives no position: find the token it names
            at = body.find(m.group(1))
            if at >= 0:
                pos = body_start + at + (body.count("'", 0, at) if quoted else 0)
        pf.errors.append(SyntaxProblem(s.start, s.end, pos, f"in the PL/pgSQL body: {msg}", s.rollback, s))
        return
    s.plpgsql = tree
    s.dynamic_sql = any(k in raw for k in _DYNAMIC_KEYS)
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", body)]
    for lineno, expr in _plpgsql_statements(tree):
        query = expr.get("query", "")
        at = locate_query(body, query, lineno, line_starts)
        file_at = body_start + at + (body.count("'", 0, at) if quoted else 0)
        _embed_query(pf, s, query, file_at, quoted, origin)
    pf.tree_json += len(raw)
    if pf.tree_json > TREE_BUDGET:
        # every body of the file is parsed before the first statement is linted: past the
        # budget, a body's tree (and its statement's) waits as JSON, several times smaller,
        # and is decoded again when the lint reaches it
        s.keep_plpgsql_as_json(raw)
        s.compact()


def locate_query(body: str, query: str, lineno: int, line_starts: list[int]) -> int:
    """Offset in ``body`` where the SQL of a PL/pgSQL statement at line ``lineno`` is
    written (PERFORM x is stored as SELECT x: then 7 characters before x, so that the
    parser's locations line up). An occurrence on the statement's own line wins over a
    later copy of the same text (PERFORM * FROM t before RETURN QUERY SELECT * FROM t)."""
    n = min(max(lineno, 1), len(line_starts))
    ls = line_starts[n - 1]
    next_ls = line_starts[n] if n < len(line_starts) else len(body) + 1
    at = body.find(query, ls)
    tail = -1
    if query.startswith("SELECT "):
        t = body.find(query[7:], ls)
        tail = t - 7 if t >= 7 else -1
    for cand in (at, tail):  # the text itself first, then PERFORM's form, on the line
        if 0 <= cand < next_ls:
            return cand
    if at >= 0:
        return at
    return tail if tail >= 0 else ls


def _plpgsql_statements(tree):
    """(lineno, PLpgSQL_expr) of every complete SQL statement in a PL/pgSQL tree."""
    out = []
    # the function's variables ("datums") hold no statements: start from the actions
    stack = []
    for fn in tree:
        f = fn.get("PLpgSQL_function") if type(fn) is dict else None
        if f and "action" in f:
            stack.append((f["action"], 0))
    while stack:
        node, lineno = stack.pop()
        if type(node) is dict:
            ln = node.get("lineno", lineno)
            for k, v in node.items():
                if k == "PLpgSQL_expr":
                    if not v.get("parseMode") and v.get("query"):
                        out.append((ln, v))
                else:
                    t = type(v)
                    if t is dict or t is list:
                        stack.append((v, ln))
        else:
            for v in node:
                stack.append((v, lineno))
    out.sort(key=lambda x: x[0])
    return out


def _embed_query(pf, parent: Statement, query: str, file_at: int, quoted: bool, origin: str) -> None:
    try:
        js = _pg.parse_sql_json(query)
    except _pg.ParseError:
        return  # PL/pgSQL already checked the syntax of its statements
    _add_embedded(pf, parent, ParseUnit(query, file_at, quoted), js, origin)


def _embed_sql(pf, parent: Statement, body: str, body_start: int, quoted: bool, origin: str) -> None:
    try:
        js = _pg.parse_sql_json(body)
    except _pg.ParseError as exc:
        off = _error_offset(body, exc) or 0
        pos = body_start + off + (body.count("'", 0, off) if quoted else 0)
        pf.errors.append(
            SyntaxProblem(parent.start, parent.end, pos, f"in the SQL function body: {_message(exc)}", parent.rollback, parent)
        )
        return
    _add_embedded(pf, parent, ParseUnit(body, body_start, quoted), js, origin)


def _add_embedded(pf, parent: Statement, unit: ParseUnit, js: str, origin: str) -> None:
    unit_end = unit.offset(len(unit.text.encode("utf-8")))
    for piece in split_statements_json(js):
        m = _PIECE_HEAD.match(piece)
        if m is None:
            continue
        loc, ln = _piece_span(piece)
        start = unit.offset(loc)
        end = unit.offset(loc + ln) if ln else unit_end
        end = max(start, min(end, parent.end))
        start = _lstrip_start(pf.sql, start, end)
        end = _rstrip_end(pf.sql, start, end)
        if not unit.single_quoted:  # the body's text is the file's: its comments can be told apart
            end = trim_trailing_comment(pf.sql, start, end)
        e = Statement(-1, start, end, m.group(1), None, unit, origin, parent, parent.rollback, parent.section, piece)
        parent.embedded.append(e)


def _embed_atomic(s: Statement, sql: str) -> None:
    """SQL-standard bodies (BEGIN ATOMIC ... END) are already in the tree."""
    outer = s.node.get("sql_body", {}).get("List", {}).get("items", ())
    items = [it for lst in outer for it in lst.get("List", {}).get("items", ())]
    spans = atomic_spans(sql, s.start, s.end, len(items)) if items else None  # spans.py
    for k, item in enumerate(items):
        ((typ, node),) = item.items()
        if spans is not None:
            start, end = spans[k]
        else:
            loc = _first_location(node)
            start, end = (s.offset(loc) if loc is not None else s.start), s.end
        e = Statement(-1, start, end, typ, node, s.unit, FUNCTION, s, s.rollback, s.section)
        s.embedded.append(e)


def _first_location(node) -> int | None:
    best = None
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            loc = n.get("location")
            if isinstance(loc, int) and loc >= 0 and (best is None or loc < best):
                best = loc
            stack.extend(v for v in n.values() if isinstance(v, (dict, list)))
        elif isinstance(n, list):
            stack.extend(n)
    return best

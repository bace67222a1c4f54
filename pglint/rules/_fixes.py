"""Building fixes: find tokens of the current statement and make text edits.

Tokens come from PostgreSQL's own scanner (pglast.parser.scan) over the statement's text,
so a keyword inside a string or a comment is never mistaken for one.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import parser as _pg

from ..engine.diagnostics import DISPLAY_ONLY, SAFE, UNSAFE, Edit, Fix  # noqa: F401
from ..source.text import line_start as _line_start
from ._common import _shared

# keywords that end a column's type in a column definition
_CONSTRAINT_WORDS = frozenset({
    "NOT", "NULL_P", "DEFAULT", "PRIMARY", "REFERENCES", "CHECK", "UNIQUE", "CONSTRAINT", "GENERATED",
    "COLLATE", "DEFERRABLE", "INITIALLY", "USING", "STORAGE", "COMPRESSION", "ASCII_44", "ASCII_41", "ASCII_59",
})


@dataclass(frozen=True, slots=True)
class Tok:
    start: int  # file offsets, end exclusive
    end: int
    name: str  # scanner token name: INDEX, IF_P, IDENT, ASCII_40 for "(" ...


def tokens(ctx) -> list[Tok]:
    """All the current statement's tokens (cached on the statement)."""
    s = ctx.stmt
    key = (s.start, s.end)
    cached = ctx.state.get("_tokens")
    if cached is not None and cached[0] == key:
        return cached[1]
    toks = _scan(ctx.sql, s.start, s.end) or []
    ctx.state["_tokens"] = (key, toks)  # the current statement's only: memory follows the statement
    return toks


def _scan(sql: str, lo: int, hi: int) -> list[Tok] | None:
    try:
        raw = _pg.scan(sql[lo:hi])
    except _pg.ParseError:
        return None
    return [Tok(lo + t.start, lo + t.end + 1, t.name) for t in raw]


def iter_tokens(ctx, start: int | None = None, end: int | None = None):
    """The current statement's tokens from ``start`` (a token's start or end, or the
    statement's start) to ``end``, scanned in growing windows: callers that stop at the
    first tokens they need do not scan a whole function body."""
    s = ctx.stmt
    lo = s.start if start is None else max(start, s.start)
    hi = s.end if end is None else min(end, s.end)
    cached = ctx.state.get("_tokens")
    full = cached[1] if cached is not None and cached[0] == (s.start, s.end) else None
    if full is not None:
        yield from (t for t in full if lo <= t.start < hi)
        return
    pos, size = lo, 256
    while pos < hi:
        wend = min(hi, pos + size)
        toks = _scan(ctx.sql, pos, wend)
        if toks is None:  # the window cut a string or comment: scan the whole statement
            yield from (t for t in tokens(ctx) if pos <= t.start < hi)
            return
        if wend < hi:
            toks = toks[:-1]  # the window may have cut the last one
        yield from toks
        if toks:
            pos = toks[-1].end
        elif wend >= hi:
            return
        size *= 8


def first(ctx, *names: str, after: int | None = None, before: int | None = None) -> Tok | None:
    for t in iter_tokens(ctx, after, before):
        if t.name in names:
            return t
    return None


def next_token(ctx, tok: Tok) -> Tok | None:
    for t in iter_tokens(ctx, tok.end):
        return t
    return None


def insert_after(tok: Tok, text: str) -> Edit:
    return Edit(tok.end, tok.end, text)


def insert_before(offset: int, text: str) -> Edit:
    return Edit(offset, offset, text)


def newline(ctx) -> str:
    """The file's line ending (looked up once per file)."""
    sh = _shared(ctx)
    nl = sh.get("newline")
    if nl is None:
        nl = sh["newline"] = "\r\n" if "\r\n" in ctx.sql else "\n"
    return nl


def indent_at(ctx, offset: int) -> str:
    """Leading blanks of the line holding ``offset``."""
    ls = _line_start(ctx.sql, offset)
    i = ls
    while i < len(ctx.sql) and ctx.sql[i] in " \t":
        i += 1
    return ctx.sql[ls:i]


def statement_terminator_end(ctx) -> int:
    """Offset just past the current statement's ';' (or its end when there is none)."""
    s = ctx.stmt
    i = s.end
    sql = ctx.sql
    while i < len(sql) and sql[i] in " \t":
        i += 1
    if i < len(sql) and sql[i] == ";":
        return i + 1
    return s.end


def line_start(ctx, offset: int) -> int:
    return _line_start(ctx.sql, offset)


def type_span(ctx, type_loc: int) -> tuple[int, int]:
    """Span of a column type written at ``type_loc`` (name, modifiers, array brackets,
    WITH/WITHOUT TIME ZONE, VARYING, PRECISION), up to the first constraint word."""
    toks = iter_tokens(ctx, type_loc)
    end = type_loc
    depth = 0
    for t in toks:
        if depth == 0 and t.name in _CONSTRAINT_WORDS and t.start > type_loc:
            break
        if t.name == "ASCII_40":
            depth += 1
        elif t.name == "ASCII_41":
            depth -= 1
            if depth < 0:
                break
        end = t.end
    return type_loc, end


def replace(start: int, end: int, text: str) -> Edit:
    return Edit(start, end, text)


_SIMPLE = __import__("re").compile(r"[a-z_][a-z0-9_$]*")


def quote_ident(name: str) -> str:
    """An identifier as SQL text: bare when PostgreSQL would read it back unchanged."""
    from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

    if _SIMPLE.fullmatch(name) and name not in RESERVED_KEYWORDS and name not in TYPE_FUNC_NAME_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def source_text(ctx, start: int, end: int) -> str:
    """Text of the file as written (placeholders included: fixes keep the author's text)."""
    return ctx.source.text[start:end]


def transaction_end(ctx) -> int | None:
    """Offset just past the COMMIT/END/ROLLBACK that closes the explicit transaction of the
    current statement, or None."""
    top = ctx.stmt.top
    after = False
    for s in ctx.parsed.statements:
        if s is top:
            after = True
            continue
        if after and s.type == "TransactionStmt":
            kind = s.node.get("kind", "")
            if kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
                return _terminated(ctx, s.end)
    return None


def _terminated(ctx, end: int) -> int:
    sql = ctx.sql
    i = end
    while i < len(sql) and sql[i] in " \t":
        i += 1
    return i + 1 if i < len(sql) and sql[i] == ";" else end


def statement_lines(ctx, statements: list[str], at: int) -> str:
    """Several statements, one per line, indented like the line holding ``at``."""
    nl = newline(ctx)
    ind = indent_at(ctx, at)
    return (nl + ind).join(statements)

"""Statement splitter for SQL files as psql and migration tools run them.

pglast's scanner is all-or-nothing (one bad token, e.g. a zero-length ``""``, and it
returns nothing) and knows nothing of what surrounds SQL in real files: psql
meta-commands, psql variables, ``COPY ... FROM stdin`` data, goose and dbmate section
markers, template placeholders. This module lexes a file the way psql's own scanner
splits its input into statements (quotes, dollar quotes, nested comments, parenthesis
depth, ``BEGIN ATOMIC ... END`` bodies) and never raises.

It returns the statement chunks and, as ``sql``, a copy of the text of exactly the same
length in which everything that is not SQL has been neutralised (meta-commands and COPY
data blanked, placeholders turned into identifiers), so that every offset into ``sql``
is also an offset into the original file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import line_start

# Identifier characters (PostgreSQL's scanner: a letter, _ or any non-ASCII character to start,
# then also digits, and $ inside a plain identifier). Written as negated ASCII classes: the
# same sets as [A-Za-z_\x80-\U0010ffff] and [\w$\x80-\U0010ffff] (tests/test_identifier_chars.py
# checks every code point), which cost re 6-8 ms each to compile at every start.
IDENT_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"
IDENT_CONT = r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
IDENT_CONT_DOLLAR = r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
DOLLAR_TAG = rf"\$(?:{IDENT_START}{IDENT_CONT}*)?\$"

# Things the lexer must look at; everything else is skipped by the regex engine.
_SPECIAL = re.compile(r"--|/\*|['\"$;()\\:]")
_BLOCK_COMMENT_PART = re.compile(r"/\*|\*/")
_SQUOTE_BODY = re.compile(r"(?:[^']|'')*'", re.S)
_ESTRING_BODY = re.compile(r"(?:[^'\\]|\\.|'')*'", re.S)
_DQUOTE_BODY = re.compile(r'(?:[^"]|"")*"', re.S)
_DOLLAR_TAG = re.compile(DOLLAR_TAG)
_LINE_END = re.compile(r"\r\n|\r|\n")
_PSQL_VAR = re.compile(r":(?:'[A-Za-z_][\w]*'|\"[A-Za-z_][\w]*\"|[A-Za-z_][\w]*|\{\?[A-Za-z_][\w]*\})")
_META_NAME = re.compile(r"\\([A-Za-z]+|[^\sA-Za-z])")
_COPY_DATA_END = re.compile(r"^\\\.[ \t]*(?:\r\n|\r|\n|$)", re.M)
_HEAD_COPY = re.compile(r"(?is)copy\b")
_FROM_STDIN = re.compile(r"(?is)\bfrom\s+stdin\b")
_HEAD_ROUTINE = re.compile(r"(?is)create\s+(?:or\s+replace\s+)?(?:function|procedure)\b")
_ROUTINE_WORDS = re.compile(r"(?i)(?<![\w$])(begin|case|end)(?![\w$])")
_MARKER = re.compile(
    r"--\s*(?:\+goose\s+(?P<goose>[A-Za-z]+)(?P<goose_arg>[^\r\n]*)"
    r"|migrate:(?P<dbmate>up|down)\b(?P<dbmate_arg>[^\r\n]*))",
    re.I,
)
# psql meta-commands that send the query buffer: they end the current statement.
_SENDING_META = frozenset(
    {"g", "gx", "gset", "gexec", "gdesc", "gp", "crosstabview", "watch", "sendpipeline"}
)
_IDENT_CHAR = re.compile(IDENT_CONT_DOLLAR)

# Placeholders substituted by the tools that run the files, everywhere in the text
# (also inside strings and function bodies): Flyway/Eugene ``${name}``, Go templates
# ``{{ ... }}``, extension scripts ``@extschema@`` / ``@extowner@`` / ``@extschema:name@``.
DEFAULT_PLACEHOLDERS = (
    r"\$\{[^}\r\n]{1,200}\}",
    r"\{\{.{0,200}?\}\}",
    r"@ext(?:schema|owner)(?::[A-Za-z_]\w*)?@",
)


@dataclass(slots=True)
class Marker:
    """A goose or dbmate annotation comment."""

    offset: int
    tool: str  # "goose" | "dbmate"
    name: str  # up, down, statementbegin, statementend, no transaction, ...
    arg: str


@dataclass(slots=True)
class Chunk:
    """One statement's extent: ``start``..``end`` (end exclusive, trailing blanks and
    comments excluded). ``inner_semicolons`` are ``;`` that did not end the statement
    (inside parentheses or a BEGIN ATOMIC body), used to recover from broken input."""

    start: int
    end: int
    inner_semicolons: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Lexed:
    sql: str
    chunks: list[Chunk]
    comments: list[tuple[int, int]]
    markers: list[Marker]


def _identifier_for(s: str) -> str:
    """A same-length identifier standing in for placeholder text ``s``."""
    return "_" + "".join(c if (c.isalnum() or c == "_") and c.isascii() else "_" for c in s[1:])


def substitute_placeholders(text: str, patterns: tuple[re.Pattern, ...]) -> tuple[str, list[tuple[int, int]]]:
    spans: list[tuple[int, int]] = []
    for pat in patterns:
        if not pat.search(text):
            continue
        out = []
        last = 0
        for m in pat.finditer(text):
            s, e = m.span()
            if s == e or "\n" in m.group() or "\r" in m.group():
                continue
            out.append(text[last:s])
            out.append(_identifier_for(m.group()))
            spans.append((s, e))
            last = e
        out.append(text[last:])
        text = "".join(out)
    spans.sort()
    return text, spans


def compile_placeholders(extra: tuple[str, ...] = ()) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.S) for p in DEFAULT_PLACEHOLDERS + tuple(extra))


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[str] | None = None  # created on the first edit
        self.chunks: list[Chunk] = []
        self.comments: list[tuple[int, int]] = []
        self.markers: list[Marker] = []
        # state of the statement being read
        self.stmt_start: int | None = None
        self.last_sig: int = 0  # end of last significant (non-blank, non-comment) text
        self.paren = 0
        self.begin_depth = 0
        self.routine = False
        self.inner: list[int] = []

    # -- output edits ------------------------------------------------------
    def _blank(self, start: int, end: int) -> None:
        """Replace text[start:end] by spaces, keeping line breaks."""
        if self.out is None:
            self.out = list(self.text)
        out = self.out
        text = self.text
        for i in range(start, end):
            if text[i] not in "\r\n":
                out[i] = " "

    def _put(self, pos: int, s: str) -> None:
        if self.out is None:
            self.out = list(self.text)
        self.out[pos : pos + len(s)] = s

    # -- statement bookkeeping ----------------------------------------------
    def _significant(self, start: int, end: int) -> None:
        """Text[start:end] is part of a statement (not blank, not comment)."""
        if self.stmt_start is None:
            self.stmt_start = start
            head = self.text[start : start + 200]
            self.routine = bool(_HEAD_ROUTINE.match(head))
        if end > self.last_sig:
            self.last_sig = end

    def _plain(self, start: int, end: int) -> None:
        """Ordinary text between special tokens: words, numbers, operators, blanks."""
        if start >= end:
            return
        seg = self.text[start:end]
        stripped = seg.strip()
        if not stripped:
            return
        lead = len(seg) - len(seg.lstrip())
        self._significant(start + lead, start + len(seg.rstrip()))
        if self.routine and self.paren == 0:
            for m in _ROUTINE_WORDS.finditer(seg):
                w = m.group(1).lower()
                if w == "begin":
                    self.begin_depth += 1
                elif w == "case":
                    if self.begin_depth:
                        self.begin_depth += 1
                elif self.begin_depth:
                    self.begin_depth -= 1

    def _end_statement(self, at: int | None = None) -> int | None:
        """Close the current statement; return its start (or None if empty)."""
        start = self.stmt_start
        if start is not None:
            self.chunks.append(Chunk(start, self.last_sig, self.inner))
        self.stmt_start = None
        self.paren = 0
        self.begin_depth = 0
        self.routine = False
        self.inner = []
        return start

    # -- main loop ------------------------------------------------------------
    def run(self) -> Lexed:
        text = self.text
        n = len(text)
        pos = 0
        search = _SPECIAL.search
        while pos < n:
            m = search(text, pos)
            if m is None:
                self._plain(pos, n)
                break
            s = m.start()
            self._plain(pos, s)
            tok = m.group()
            if tok == "--":
                e = _LINE_END.search(text, s)
                e = e.start() if e else n
                self.comments.append((s, e))
                self._maybe_marker(s, e)
                pos = e
            elif tok == "/*":
                pos = self._block_comment(s)
            elif tok == "'":
                pos = self._squote(s)
            elif tok == '"':
                mm = _DQUOTE_BODY.match(text, s + 1)
                pos = mm.end() if mm else n
                self._significant(s, pos)
            elif tok == "$":
                pos = self._dollar(s)
            elif tok == ";":
                if self.paren > 0 or self.begin_depth > 0:
                    self.inner.append(s)
                    self._significant(s, s + 1)
                    pos = s + 1
                else:
                    start = self._end_statement()
                    pos = self._after_semicolon(start, s + 1)
            elif tok == "(":
                self.paren += 1
                self._significant(s, s + 1)
                pos = s + 1
            elif tok == ")":
                if self.paren > 0:
                    self.paren -= 1
                self._significant(s, s + 1)
                pos = s + 1
            elif tok == "\\":
                pos = self._meta(s)
            else:  # ":"
                pos = self._colon(s)
        self._end_statement()
        sql = "".join(self.out) if self.out is not None else text
        return Lexed(sql, self.chunks, self.comments, self.markers)

    def _maybe_marker(self, s: int, e: int) -> None:
        text = self.text
        # only comments that start a line are annotations
        ls = line_start(text, s)
        if text[ls:s].strip():
            return
        m = _MARKER.match(text, s, e)
        if not m:
            return
        if m.group("goose"):
            name = m.group("goose").lower()
            arg = m.group("goose_arg").strip()
            if name == "no":
                name, arg = "no transaction", ""
            elif name in ("up", "down") and arg.lower().startswith("no transaction"):
                # tolerated variant
                pass
            marker = Marker(s, "goose", name, arg)
        else:
            marker = Marker(s, "dbmate", m.group("dbmate").lower(), m.group("dbmate_arg").strip())
        if marker.name in ("up", "down", "statementbegin", "statementend"):
            # a section or block boundary ends whatever statement is open
            self._end_statement()
        self.markers.append(marker)

    def _block_comment(self, s: int) -> int:
        text = self.text
        depth = 0
        pos = s
        finder = _BLOCK_COMMENT_PART.search
        while True:
            m = finder(text, pos)
            if m is None:
                # never closed: PostgreSQL rejects the file ("unterminated /* comment"), so
                # the rest is part of a statement that fails to parse, not a comment that
                # hides the statements after it
                e = len(text)
                self._significant(s, e)
                return e
            if m.group() == "/*":
                depth += 1
            else:
                depth -= 1
            pos = m.end()
            if depth == 0:
                e = pos
                break
        self.comments.append((s, e))
        return e

    def _squote(self, s: int) -> int:
        text = self.text
        # E'...' strings allow backslash escapes
        escape = False
        if s > 0 and text[s - 1] in "eE" and (s < 2 or not _IDENT_CHAR.match(text[s - 2])):
            escape = True
        mm = (_ESTRING_BODY if escape else _SQUOTE_BODY).match(text, s + 1)
        e = mm.end() if mm else len(text)
        self._significant(s - 1 if escape else s, e)
        return e

    def _dollar(self, s: int) -> int:
        text = self.text
        if s > 0 and _IDENT_CHAR.match(text[s - 1]):
            # part of an identifier such as foo$bar
            self._significant(s, s + 1)
            return s + 1
        m = _DOLLAR_TAG.match(text, s)
        if m is None:  # $1 parameter or a stray dollar
            self._significant(s, s + 1)
            return s + 1
        tag = m.group()
        close = text.find(tag, m.end())
        e = len(text) if close < 0 else close + len(tag)
        body_start = m.end()
        body_end = close if close >= 0 else len(text)
        # tools substitute psql-style variables inside function bodies too
        if ":" in text[body_start:body_end]:
            self._vars_in(body_start, body_end)
        self._significant(s, e)
        return e

    def _vars_in(self, start: int, end: int) -> None:
        text = self.text
        pos = start
        while True:
            i = text.find(":", pos, end)
            if i < 0:
                return
            m = _PSQL_VAR.match(text, i, end)
            if m and self._is_var_context(i, m):
                self._replace_var(i, m)
                pos = m.end()
            else:
                pos = i + 1

    def _is_var_context(self, i: int, m: re.Match) -> bool:
        text = self.text
        if i > 0:
            prev = text[i - 1]
            if prev == ":" or prev == "]" or prev == ")" or _IDENT_CHAR.match(prev):
                return False
        return True

    def _replace_var(self, i: int, m: re.Match) -> None:
        g = m.group()
        if g[1] in "'\"":
            self._put(i, " ")
        else:
            self._put(i, _identifier_for(g))

    def _colon(self, s: int) -> int:
        text = self.text
        if text.startswith("::", s):
            self._significant(s, s + 2)
            return s + 2
        m = _PSQL_VAR.match(text, s)
        if m and self._is_var_context(s, m):
            self._replace_var(s, m)
            self._significant(s, m.end())
            return m.end()
        self._significant(s, s + 1)
        return s + 1

    def _meta(self, s: int) -> int:
        """A psql backslash command: runs to the end of the line."""
        text = self.text
        le = _LINE_END.search(text, s)
        eol = le.start() if le else len(text)
        after = le.end() if le else len(text)
        m = _META_NAME.match(text, s)
        name = m.group(1) if m else ""
        lname = name.lower()
        if name == ";":
            # \; separates statements that psql sends together
            self._blank(s, s + 1)
            start = self._end_statement()
            return self._after_semicolon(start, s + 2)
        if name == "\\":
            # "\\" ends a meta-command's arguments; on its own it is a no-op
            self._blank(s, s + 2)
            return s + 2
        if lname in _SENDING_META:
            self._blank(s, eol)
            if self.stmt_start is not None:
                self._put(s, ";")
                self._end_statement()
            return after if after > eol else eol
        self._blank(s, eol)
        if lname == "copy" and _FROM_STDIN.search(text, s, eol):
            return self._copy_data(after)
        return eol

    def _after_semicolon(self, start: int | None, pos: int) -> int:
        """After a statement ends: skip COPY ... FROM stdin data that follows it."""
        if start is None:
            return pos
        if not _HEAD_COPY.match(self.text, start):
            return pos
        stmt = self.text[start:pos]
        if not _FROM_STDIN.search(stmt):
            return pos
        le = _LINE_END.search(self.text, pos)
        if le is None:
            return len(self.text)
        # psql reads the data from the line after the statement
        if self.text[pos : le.start()].strip():
            return pos
        return self._copy_data(le.end())

    def _copy_data(self, start: int) -> int:
        text = self.text
        m = _COPY_DATA_END.search(text, start)
        end = m.end() if m else len(text)
        self._blank(start, end)
        return end


def lex(text: str) -> Lexed:
    """Split ``text`` (placeholders already substituted) into statement chunks."""
    return _Lexer(text).run()

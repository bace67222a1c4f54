"""Driver parameter placeholders turned into same-length text PostgreSQL's parser accepts.

``%s`` and ``%(name)s`` (psycopg, Django), ``$1`` (asyncpg: already PostgreSQL's own),
``:name`` (SQLAlchemy ``text()``), ``?`` (DB-API qmark style) are parameters, not syntax
errors. Each is replaced by a stand-in of exactly its length (``$1`` padded with blanks),
so that every offset into the SQL stays an offset into the text the Python code holds.
``%%`` is psycopg's escape of a literal ``%``: it is left alone (two ``%`` parse where a
``%`` does, inside a string literal as outside), and never starts a placeholder.

Placeholders inside SQL string literals, quoted identifiers and comments are text, not
parameters: psycopg itself would substitute there, but SQLAlchemy and PostgreSQL would
not, and the stand-in must not change what the parser sees in a literal anyway: only
placeholders in code position are replaced.
"""

from __future__ import annotations

import re

# the placeholder styles each driver uses (generic: any of them)
STYLES = {
    "psycopg": ("percent",),
    "django": ("percent",),
    "asyncpg": ("dollar",),
    "sqlalchemy": ("colon", "percent"),  # text() takes :name; exec_driver_sql the DBAPI's %s
    "alembic": ("colon", "percent"),
    "generic": ("percent", "colon", "qmark"),
}

_PERCENT = re.compile(r"%\((?P<name>[^()\s]{1,200})\)[sbt]|%[sbt]")
_COLON = re.compile(r"(?<![:\w])(?P<colon>:[A-Za-z_]\w*)(?!:)")
_QMARK = re.compile(r"\?")
# a ? is a parameter where an operand is expected, not PostgreSQL's jsonb ? operators
_QMARK_BEFORE = re.compile(r"(?:[=<>(,]|\b(?:in|values|like|ilike|and|or|then|else|limit|offset|between|is|not|set|by))\s*$",
                           re.I)


def _stand_in(text: str) -> str:
    """``$1`` padded to ``text``'s length (a single character: ``0``)."""
    if len(text) == 1:
        return "0"
    return "$1" + " " * (len(text) - 2)


def _code_spans(sql: str) -> list[tuple[int, int]]:
    """The spans of ``sql`` outside string literals, quoted identifiers, dollar-quoted
    bodies and comments (a light scan; unterminated constructs run to the end)."""
    out = []
    i = 0
    start = 0
    n = len(sql)
    while i < n:
        c = sql[i]
        if c == "'" or c == '"':
            out.append((start, i))
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                if c == "'" and sql[j] == "\\" and i > 0 and sql[i - 1] in "eE":
                    j += 2
                    continue
                j += 1
            i = start = j + 1
        elif c == "-" and sql.startswith("--", i):
            out.append((start, i))
            j = sql.find("\n", i)
            i = start = n if j < 0 else j
        elif c == "/" and sql.startswith("/*", i):
            out.append((start, i))
            j = sql.find("*/", i + 2)
            i = start = n if j < 0 else j + 2
        elif c == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$", sql[i:])
            if m and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                tag = m.group()
                out.append((start, i))
                j = sql.find(tag, i + len(tag))
                i = start = n if j < 0 else j + len(tag)
            else:
                i += 1
        else:
            i += 1
    out.append((start, min(i, n)))
    return [(s, e) for s, e in out if e > s]


def substitute(sql: str, driver: str = "generic") -> tuple[str, list[tuple[int, int]]]:
    """(``sql`` with the driver's placeholders replaced by same-length stand-ins, their
    spans)."""
    styles = STYLES.get(driver, STYLES["generic"])
    if not any(ch in sql for ch in "%:?"):
        return sql, []
    chars = list(sql)
    spans: list[tuple[int, int]] = []
    for cs, ce in _code_spans(sql):
        seg = sql[cs:ce]
        if "percent" in styles and "%" in seg:
            k = 0
            while k < len(seg):
                if seg.startswith("%%", k):
                    k += 2
                    continue
                m = _PERCENT.match(seg, k)
                if m:
                    spans.append((cs + m.start(), cs + m.end()))
                    k = m.end()
                else:
                    k += 1
        if "colon" in styles and ":" in seg:
            for m in _COLON.finditer(seg):
                spans.append((cs + m.start(), cs + m.end()))
        if "qmark" in styles and "?" in seg:
            for m in _QMARK.finditer(seg):
                before = seg[:m.start()]
                after = seg[m.end():m.end() + 1]
                if _QMARK_BEFORE.search(before) and after not in ("|", "&", "-", "#"):
                    spans.append((cs + m.start(), cs + m.end()))
    spans.sort()
    for s, e in spans:
        chars[s:e] = _stand_in(sql[s:e])
    return "".join(chars), spans

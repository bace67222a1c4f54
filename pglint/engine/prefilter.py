"""What a file holds that decides, before any rule runs, which rules can flag it.

A rule declares ``needs``: requirements that must all hold for the rule to have anything to
report in a file. Each requirement is one or more alternatives separated by ``|``; an
alternative is a word the file's text must contain (compared in lower case: SQL keywords
have no other spelling), or a fact the engine computes once per file, written ``@name``:

- ``@long-identifier``: a name over 63 bytes may be written in the file (an unquoted word
  or a quoted name that long);
- ``@dynamic-sql``: a PL/pgSQL body of the file runs a query string built at run time
  (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN QUERY EXECUTE).

The engine skips a rule whose needs a file does not meet: its handlers are never called for
that file, and its module is not even imported. A requirement must be a necessary
condition of every finding the rule can make; tests/test_prefilter.py checks each rule's
examples still raise it with the requirement checked.
"""

from __future__ import annotations

import re

MAX_IDENTIFIER = 63  # NAMEDATALEN - 1

# a word made of identifier characters (lexer.py's classes; ASCII ranges negated, see there)
_WORD = None
# a quoted name of 16+ characters may be 64+ bytes (4-byte characters); newlines included
_QUOTED = re.compile(r'"(?:[^"]|""){16,}"')


def _word_re():
    global _WORD
    if _WORD is None:
        from ..source.lexer import IDENT_CONT_DOLLAR, IDENT_START

        _WORD = re.compile(IDENT_START + IDENT_CONT_DOLLAR + "*")
    return _WORD


def _over(text: str) -> bool:
    return len(text) > MAX_IDENTIFIER if text.isascii() else len(text.encode("utf-8")) > MAX_IDENTIFIER


def long_identifier_possible(sql: str) -> bool:
    """Whether the text may hold a name over 63 bytes (a necessary condition, cheap: the
    longest run of bytes without ASCII whitespace is measured in C before any per-word work).
    PostgreSQL's scanner separates tokens only by ASCII whitespace: U+00A0 and the other
    Unicode spaces are part of a name, so the text is split as bytes, not as str."""
    data = sql.encode("utf-8", "surrogatepass")
    words = data.split()
    if max(map(len, words), default=0) > MAX_IDENTIFIER:
        word = _word_re()
        for w in words:
            if len(w) > MAX_IDENTIFIER and any(_over(m.group()) for m in
                                               word.finditer(w.decode("utf-8", "surrogatepass"))):
                return True
    return '"' in sql and any(_over(m.group()) for m in _QUOTED.finditer(sql))


_RUN = None


def may_hold_long_identifier(text: str) -> bool:
    """Whether a statement's text may hold a name over 63 bytes (True for every statement
    that does; also for some that do not). Quotes are not paired from the left (a stray
    quote in a comment or a string would pair them wrongly): an unquoted name lies in a run
    of identifier characters, and a quoted name is a chain of quote-free segments joined by
    even runs of quotes (its doubled quotes), whose length is bounded below."""
    global _RUN
    if _RUN is None:
        from ..source.lexer import IDENT_CONT_DOLLAR

        _RUN = re.compile(IDENT_CONT_DOLLAR + "{16,}")
    if any(_over(m.group()) for m in _RUN.finditer(text)):
        return True
    return text.count('"') >= 2 and _quoted_may_be_long(text)


def _quoted_may_be_long(text: str) -> bool:
    segs = text.split('"')  # segs[j]: the text after the j-th quote; "" between adjacent quotes
    chain = -1  # bytes of the chain of segments being followed (-1: none yet)
    prev = 0  # index of the last non-empty segment
    for j in range(1, len(segs)):
        seg = segs[j]
        if not seg:
            continue
        size = len(seg) if seg.isascii() else len(seg.encode("utf-8", "surrogatepass"))
        run = j - prev  # quotes between the two segments: a doubled quote inside a name is an even run
        if chain >= 0 and run % 2 == 0:
            chain += run // 2 + size
        else:
            if chain + run // 2 > MAX_IDENTIFIER:
                return True
            chain = run // 2 + size  # a name's opening quote may be followed by doubled quotes
        if run > 2 * MAX_IDENTIFIER:
            return True  # a name made of quotes only
        prev = j
    return chain + (len(segs) - 1 - prev) // 2 > MAX_IDENTIFIER


def _dynamic_sql(parsed) -> bool:
    return any(s.dynamic_sql for s in parsed.all_statements())


_FACTS = {
    "long-identifier": lambda parsed: long_identifier_possible(parsed.sql),
    "dynamic-sql": _dynamic_sql,
}


def check_needs(needs: tuple[str, ...]) -> None:
    """Raise ValueError for a requirement the engine cannot check (at rule definition)."""
    for need in needs:
        for alt in need.split("|"):
            if not alt or (alt.startswith("@") and alt[1:] not in _FACTS) or (
                    not alt.startswith("@") and alt != alt.lower()):
                raise ValueError(f"unknown or malformed requirement {alt!r} in needs={needs!r}")


class FileFacts:
    """The facts of one file, each computed when first asked."""

    __slots__ = ("parsed", "_facts")

    def __init__(self, parsed) -> None:
        self.parsed = parsed
        self._facts: dict[str, bool] = {}

    def meets(self, needs: tuple[str, ...]) -> bool:
        return all(any(self._holds(alt) for alt in need.split("|")) for need in needs)

    def _holds(self, alt: str) -> bool:
        v = self._facts.get(alt)
        if v is None:
            if alt.startswith("@"):
                v = bool(_FACTS[alt[1:]](self.parsed))
            else:
                v = alt in self.parsed.lower()
            self._facts[alt] = v
        return v

"""Python string literals read from the source text, character by character, so that every
character of the value knows the offset in the file it was written at.

Handles prefixes (r, b, u, f and their combinations), single, double and triple quotes,
implicit concatenation (with comments, line continuations and newlines in between),
escape sequences (each decoded character maps to the start of its escape), and f-string
replacement fields (returned as holes, ``{{`` / ``}}`` as literal braces).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_PREFIX = re.compile(r"[rRbBuUfF]{0,2}")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b",
                   "f": "\f", "v": "\v"}


@dataclass(slots=True)
class Hole:
    """An f-string replacement field ``{...}``: its span in the file (braces included)."""

    start: int
    end: int


class ScanError(Exception):
    pass


def scan(text: str, start: int, end: int) -> list:
    """The pieces of the literal(s) between ``start`` and ``end`` of ``text``: a list of
    ``(char, offset)`` pairs and :class:`Hole` objects, in order."""
    out: list = []
    i = start
    while i < end:
        c = text[i]
        if c in " \t\r\n\f(":
            i += 1
            continue
        if c == "\\" and text[i + 1:i + 2] in ("\n", "\r"):
            i += 2
            continue
        if c == "#":
            j = text.find("\n", i)
            i = end if j < 0 else j
            continue
        m = _PREFIX.match(text, i)
        prefix = m.group().lower()
        q = m.end()
        if q >= len(text) or text[q] not in "'\"":
            raise ScanError(f"no string at {i}")
        quote = text[q:q + 3] if text[q:q + 3] in ("'''", '"""') else text[q]
        i = _body(text, q + len(quote), quote, "r" in prefix, "f" in prefix, "b" in prefix, out)
    return out


def _body(text: str, i: int, quote: str, raw: bool, fmt: bool, is_bytes: bool, out: list) -> int:
    n = len(text)
    while i < n:
        if text.startswith(quote, i):
            return i + len(quote)
        c = text[i]
        if c == "\\":
            if raw:
                out.append((c, i))
                if i + 1 < n and text[i + 1] not in "\r\n":
                    out.append((text[i + 1], i + 1))
                    i += 2
                else:
                    i += 1
                continue
            i = _escape(text, i, is_bytes, out)
            continue
        if fmt and c == "{":
            if text.startswith("{{", i):
                out.append(("{", i))
                i += 2
                continue
            j = _field_end(text, i)
            out.append(Hole(i, j))
            i = j
            continue
        if fmt and c == "}" and text.startswith("}}", i):
            out.append(("}", i))
            i += 2
            continue
        out.append((c, i))
        i += 1
    raise ScanError("unterminated string")


def _escape(text: str, i: int, is_bytes: bool, out: list) -> int:
    nxt = text[i + 1:i + 2]
    if nxt in ("\n", "\r"):  # a line continuation inside the string: nothing
        return i + 2 + (1 if text[i + 1:i + 3] == "\r\n" else 0)
    if nxt in _SIMPLE_ESCAPES:
        out.append((_SIMPLE_ESCAPES[nxt], i))
        return i + 2
    if nxt in "01234567" and nxt:
        m = re.match(r"[0-7]{1,3}", text[i + 1:i + 4])
        out.append((chr(int(m.group(), 8)), i))
        return i + 1 + len(m.group())
    if nxt == "x":
        out.append((chr(int(text[i + 2:i + 4], 16)), i))
        return i + 4
    if not is_bytes and nxt in ("u", "U"):
        k = 4 if nxt == "u" else 8
        out.append((chr(int(text[i + 2:i + 2 + k], 16)), i))
        return i + 2 + k
    if not is_bytes and nxt == "N":
        j = text.index("}", i)
        out.append((unicodedata.lookup(text[i + 3:j]), i))
        return j + 1
    out.append(("\\", i))  # an unknown escape keeps its backslash
    return i + 1


def _field_end(text: str, i: int) -> int:
    """The end of the replacement field opening at ``text[i] == '{'`` (after its ``}``)."""
    depth = 0
    n = len(text)
    j = i
    while j < n:
        c = text[j]
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return j + 1
        elif c in "'\"":
            q = text[j:j + 3] if text[j:j + 3] in ("'''", '"""') else c
            k = text.find(q, j + len(q))
            if k < 0:
                raise ScanError("unterminated string in a replacement field")
            j = k + len(q)
            continue
        j += 1
    raise ScanError("unterminated replacement field")

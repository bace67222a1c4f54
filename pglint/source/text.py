"""Source text: offsets, line/column positions and byte/char conversion.

All offsets inside pglint are ``str`` indices (code points) into ``SourceText.text``,
the decoded file without its BOM. libpg_query reports byte offsets into UTF-8; the
:class:`ByteMap` converts them. Lines break at ``\\r\\n``, ``\\n`` and a lone ``\\r``,
as editors do.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


class ByteMap:
    """Convert UTF-8 byte offsets of ``text`` to str offsets (and back)."""

    __slots__ = ("_ascii", "_bytes_at", "_chars_at")

    def __init__(self, text: str) -> None:
        self._ascii = text.isascii()
        if self._ascii:
            self._bytes_at = self._chars_at = None
            return
        # Record, for every non-ASCII char, the byte offset just after it and the
        # char offset just after it; between such points the mapping is linear.
        bytes_at = [0]
        chars_at = [0]
        b = 0
        last = 0
        for m in _NON_ASCII.finditer(text):
            i = m.start()
            o = ord(text[i])
            b += i - last  # ASCII run before this char
            b += 2 if o < 0x800 else 3 if o < 0x10000 else 4
            last = i + 1
            bytes_at.append(b)
            chars_at.append(last)
        self._bytes_at = bytes_at
        self._chars_at = chars_at

    def char(self, byte_offset: int) -> int:
        if self._ascii:
            return byte_offset
        k = bisect_right(self._bytes_at, byte_offset) - 1
        return self._chars_at[k] + (byte_offset - self._bytes_at[k])

    def byte(self, char_offset: int) -> int:
        if self._ascii:
            return char_offset
        k = bisect_right(self._chars_at, char_offset) - 1
        return self._bytes_at[k] + (char_offset - self._chars_at[k])


def line_start(text: str, offset: int) -> int:
    """Where the line holding ``offset`` starts (after the last \\n, \\r or \\r\\n before it).
    Looks back no further than the last \\n: an rfind of \\r over the whole text before
    every offset made this quadratic in files without \\r."""
    ls = text.rfind("\n", 0, offset) + 1
    r = text.rfind("\r", ls, offset)
    return r + 1 if r >= 0 else ls


def asciify(text: str) -> str:
    """Replace every non-ASCII char by as many ``x`` as its UTF-8 length.

    PostgreSQL's lexer treats every high-bit byte as an identifier character, and
    strings and comments accept anything, so the result lexes and parses exactly
    like ``text`` while its str offsets equal the byte offsets of ``text``.
    """
    if text.isascii():
        return text
    return _NON_ASCII.sub(_x_for_char, text)


def _x_for_char(m: re.Match) -> str:
    o = ord(m.group())
    return "x" * (2 if o < 0x800 else 3 if o < 0x10000 else 4)


class SourceText:
    """A decoded file: its text, where its lines start, and position helpers."""

    __slots__ = ("path", "text", "had_bom", "_line_starts", "_bytemap")

    def __init__(self, path: str, text: str, had_bom: bool = False) -> None:
        self.path = path
        self.text = text
        self.had_bom = had_bom
        self._line_starts: array | None = None
        self._bytemap: ByteMap | None = None

    @property
    def bytemap(self) -> ByteMap:
        if self._bytemap is None:
            self._bytemap = ByteMap(self.text)
        return self._bytemap

    @property
    def line_starts(self) -> Sequence[int]:
        """Offsets where lines start: a machine-integer array (8 bytes a line, where a
        list of ints costs 36; a large file has hundreds of thousands of lines)."""
        if self._line_starts is None:
            starts = array("q", [0])
            starts.extend(m.end() for m in _LINE_BREAK.finditer(self.text))
            self._line_starts = starts
        return self._line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_index(self, offset: int) -> int:
        """0-based line of ``offset``."""
        return bisect_right(self.line_starts, offset) - 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of ``offset``; columns count code points."""
        offset = max(0, min(offset, len(self.text)))
        i = self.line_index(offset)
        start = self.line_starts[i]
        # An offset that falls between \r and \n belongs to the line before.
        return i + 1, offset - start + 1

    def line_text(self, line: int) -> str:
        """Text of 1-based ``line`` without its line break."""
        starts = self.line_starts
        if line < 1 or line > len(starts):
            return ""
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def line_start(self, line: int) -> int:
        return self.line_starts[line - 1]

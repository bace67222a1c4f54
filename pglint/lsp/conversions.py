"""Offsets <-> LSP positions.

pglint's offsets are ``str`` indices (code points) into the document's text. LSP positions
are a 0-based line and a character offset counted in the encoding agreed at initialize:
UTF-16 code units unless the client offers another (a character above U+FFFF counts 2 in
UTF-16, 4 in UTF-8, 1 in UTF-32). Lines break at ``\\r\\n``, ``\\n`` and a lone ``\\r``,
as the LSP specification says (and as :class:`pglint.source.text.SourceText` does), not at
the other characters ``str.splitlines`` breaks at.

Nothing here imports pygls: these are plain functions over text.
"""

from __future__ import annotations

import re
from bisect import bisect_right

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def units(s: str, encoding: str = UTF16) -> int:
    """Length of ``s`` in the encoding's code units."""
    if encoding == UTF32 or s.isascii():
        return len(s)
    if encoding == UTF8:
        return len(s.encode("utf-8", "surrogatepass"))
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _char_units(c: str, encoding: str) -> int:
    o = ord(c)
    if encoding == UTF32 or o < 0x80:
        return 1
    if encoding == UTF8:
        return 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return 2 if o > 0xFFFF else 1


class LineIndex:
    """Line starts of a text, for converting offsets and positions both ways."""

    __slots__ = ("text", "encoding", "starts")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding if encoding in (UTF8, UTF16, UTF32) else UTF16
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def _line_end(self, line: int) -> int:
        """End of the line's content (before its line break)."""
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        if end > self.starts[line] and self.text[end - 1] == "\n":
            end -= 1
        if end > self.starts[line] and self.text[end - 1] == "\r":
            end -= 1
        return end

    def position(self, offset: int) -> tuple[int, int]:
        """0-based (line, character) of a str offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        # an offset inside a line break (between \r and \n) is the end of the line's content
        offset = min(offset, self._line_end(line))
        return line, units(self.text[start:offset], self.encoding)

    def offset(self, line: int, character: int) -> int:
        """str offset of a 0-based (line, character). A line past the end is the end of the
        text; a character past the end of the line is the end of the line (LSP's rule); a
        character in the middle of a code point is that code point's start."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        end = self._line_end(line)
        if character <= 0:
            return start
        seg = self.text[start:end]
        if seg.isascii() or self.encoding == UTF32:
            return start + min(character, len(seg))
        n = 0
        for i, c in enumerate(seg):
            w = _char_units(c, self.encoding)
            if n + w > character:
                return start + i
            n += w
        return end

    def range(self, start: int, end: int) -> tuple[tuple[int, int], tuple[int, int]]:
        return self.position(start), self.position(max(start, end))

"""``json.dump(value, out, ensure_ascii=False, indent=N)`` for plain data, written by a
direct recursion instead of the json module's chain of generators (with an indent the json
module cannot use its C encoder, and a SARIF report of the corpus, 4.8 million values, took
15 s there). Strings are escaped by the json module's own C escaper, each distinct one once.
The text is the json module's, byte for byte; a value of another type (a str or int
subclass, a non-str key ...) hands the whole document to the json module."""

from __future__ import annotations

import json

from .json_format import _Escaped


class _Other(Exception):
    """A value this writer leaves to the json module."""


def dump(value, out, indent: int = 2) -> None:
    parts: list[str] = []
    try:
        _Writer(parts, " " * indent).value(value, 0)
    except _Other:
        json.dump(value, out, ensure_ascii=False, indent=indent)
        return
    out.write("".join(parts))


class _Writer:
    def __init__(self, parts: list[str], indent: str) -> None:
        self.parts = parts
        self.indent = indent
        self.escaped = _Escaped()  # str -> its JSON text, escaped once
        self.breaks = ["\n"]  # newline + indentation of each depth

    def _break(self, level: int) -> str:
        breaks = self.breaks
        while len(breaks) <= level:
            breaks.append("\n" + self.indent * len(breaks))
        return breaks[level]

    def value(self, v, level: int) -> None:
        parts = self.parts
        t = type(v)
        if t is dict:
            if not v:
                parts.append("{}")
                return
            inner = self._break(level + 1)
            sep = "{" + inner
            escaped = self.escaped
            for k, x in v.items():
                if type(k) is not str:
                    raise _Other
                e = escaped[k]
                tx = type(x)
                if tx is str:  # most values: written here, without a call per value
                    parts.append(f"{sep}{e}: {escaped[x]}")
                elif tx is int:
                    parts.append(f"{sep}{e}: {int.__repr__(x)}")
                else:
                    parts.append(f"{sep}{e}: ")
                    self.value(x, level + 1)
                sep = "," + inner
            parts.append(self._break(level) + "}")
        elif t is list or t is tuple:
            if not v:
                parts.append("[]")
                return
            inner = self._break(level + 1)
            sep = "[" + inner
            for x in v:
                if type(x) is str:
                    parts.append(sep + self.escaped[x])
                else:
                    parts.append(sep)
                    self.value(x, level + 1)
                sep = "," + inner
            parts.append(self._break(level) + "]")
        else:
            parts.append(self._scalar(v))

    def _scalar(self, v) -> str:
        t = type(v)
        if t is str:
            return self.escaped[v]
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if t is int:
            return int.__repr__(v)
        if t is float:
            if v != v:
                return "NaN"
            if v == float("inf"):
                return "Infinity"
            if v == -float("inf"):
                return "-Infinity"
            return float.__repr__(v)
        raise _Other

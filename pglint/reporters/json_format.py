"""Stable JSON: ``{"version": 1, "diagnostics": [...], "summary": {...}}``.

Lines and columns are 1-based; columns count characters (code points); ``end_line`` /
``end_column`` point just past the span. ``path`` is the path as given on the command line.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

from . import elapsed, summary_counts
from ._common import fix_counts, fix_wording

VERSION = 1


def document(result, diagnostics: bool = True) -> dict:
    """The report as a value (``diagnostics=False``: without the items, which render writes
    itself)."""
    diags = [item(d) for f in result.files for d in f.diagnostics] if diagnostics else []
    summary = summary_counts(result)
    summary["fixes"] = fix_counts(result.diagnostics)  # findings with a safe, unsafe, display-only fix
    # wall seconds from process start to now (the output is written right after); then where
    # they went (see RunResult.split): startup, linting, output, and the work of the workers
    summary["elapsed"] = round(elapsed(result), 3)
    if hasattr(result, "split"):
        summary["timings"] = result.split()
    notes = [{"path": f.path, "note": n} for f in result.files for n in f.notes]
    doc = {"version": VERSION, "diagnostics": diags, "summary": summary}
    if notes:
        doc["notes"] = notes
    return doc


def item(d) -> dict:
    """One finding of the report."""
    out = d.to_json(_pos_from(d))
    if out["fix"] is not None:
        out["fix"]["how"] = fix_wording(d.fix)  # the wording every output uses
    return out


def _pos_from(d):
    """Edits carry str offsets; their 1-based line and column come from the positions the
    checker computed for them (absent only for findings made without a source)."""
    if d.fix is None or len(d.edit_positions) != len(d.fix.edits):
        return None
    at = {}
    for e, (start, end) in zip(d.fix.edits, d.edit_positions):
        at[e.start], at[max(e.end, e.start)] = start, end
    return lambda offset: at[offset]


def render(result, out, options) -> None:
    """One diagnostic per line: readable and diffable. Each line is the text
    ``json.JSONEncoder(ensure_ascii=False).encode(item(d))`` gives, written by _Items,
    which escapes each distinct string once (a rule's explanation and help, the paths:
    half of the bytes of a large report are repeats)."""
    text = _Items().text
    first = True
    out.write('{"version": %d, "diagnostics": [' % VERSION)
    for f in result.files:
        if f.diagnostics:
            # a file at a time: one string of all would be as wide as its widest character
            out.write(("\n  " if first else ",\n  ") + ",\n  ".join([text(d) for d in f.diagnostics]))
            first = False
    out.write("]" if first else "\n]")
    doc = document(result, diagnostics=False)
    for k, v in doc.items():
        if k not in ("version", "diagnostics"):
            out.write(f', "{k}": ' + _ENCODE(v))
    out.write("}\n")


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class _Escaped(dict):
    """str (or None) -> its JSON text, escaped by the json module on first use; a value of
    any other type is encoded each time (never kept: 1 and True are one key)."""

    def __missing__(self, v) -> str:
        if v is None:
            return "null"
        if type(v) is str:
            t = self[v] = encode_basestring(v)
            return t
        return _ENCODE(v)


class _Items:
    """The JSON text of ``item(d)``, the same bytes as the json module's encoder gives for
    it, written from the fields: strings through _Escaped, ints as they are; a finding
    with a position or offset that is not an int is given to the encoder whole."""

    def __init__(self) -> None:
        self.strings = _Escaped()

    def text(self, d) -> str:
        if not (type(d.line) is type(d.column) is type(d.end_line) is type(d.end_column) is int):
            return _ENCODE(item(d))
        s = self.strings
        fix = "null"
        if d.fix is not None:
            fix = self.fix(d)
            if fix is None:
                return _ENCODE(item(d))
        tail = ""
        if d.explanation:
            tail = ', "explanation": ' + s[d.explanation]
        if d.extra:
            tail += ', "extra": ' + _ENCODE(d.extra)
        return (f'{{"code": {s[d.code]}, "rule": {s[d.rule]}, "severity": {s[d.severity]}, '
                f'"message": {s[d.message]}, "help": {s[d.help]}, "path": {s[d.path]}, '
                f'"line": {d.line}, "column": {d.column}, "end_line": {d.end_line}, '
                f'"end_column": {d.end_column}, "fix": {fix}{tail}}}')

    def fix(self, d) -> str | None:
        """The fix's text (as Fix.to_json with _pos_from's positions, and "how"); None when
        an offset or a position is not an int."""
        s = self.strings
        fix = d.fix
        at = _pos_from(d)
        edits = []
        for e in fix.edits:
            if not (type(e.start) is type(e.end) is int):
                return None
            t = f'{{"start": {e.start}, "end": {e.end}, "text": {s[e.text]}'
            if at is not None:
                (sl, sc), (el, ec) = at(e.start), at(e.end)
                if not (type(sl) is type(sc) is type(el) is type(ec) is int):
                    return None
                t += f', "line": {sl}, "column": {sc}, "end_line": {el}, "end_column": {ec}'
            edits.append(t + "}")
        return (f'{{"title": {s[fix.title]}, "applicability": {s[fix.applicability]}, '
                f'"edits": [{", ".join(edits)}], "how": {s[fix_wording(fix)]}}}')

"""Stable JSON: ``{"version": 1, "diagnostics": [...], "summary": {...}}``.

Lines and columns are 1-based; columns count characters (code points); ``end_line`` /
``end_column`` point just past the span. ``path`` is the path as given on the command line.
"""

from __future__ import annotations

import json

from . import elapsed, summary_counts
from ._common import fix_counts, fix_wording

VERSION = 1


def document(result) -> dict:
    diags = []
    for f in result.files:
        for d in f.diagnostics:
            item = d.to_json(_pos_from(d))
            if item["fix"] is not None:
                item["fix"]["how"] = fix_wording(d.fix)  # the wording every output uses
            diags.append(item)
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
    """One diagnostic per line: readable and diffable, and written by the json module's C
    encoder (an indented dump goes through its pure-Python encoder: 10x slower on a tree
    with 30,000 findings)."""
    doc = document(result)
    enc = json.JSONEncoder(ensure_ascii=False).encode
    out.write('{"version": %d, "diagnostics": [' % doc["version"])
    for i, d in enumerate(doc["diagnostics"]):
        out.write(("," if i else "") + "\n  " + enc(d))
    out.write("\n]" if doc["diagnostics"] else "]")
    for k, v in doc.items():
        if k not in ("version", "diagnostics"):
            out.write(f', "{k}": ' + enc(v))
    out.write("}\n")

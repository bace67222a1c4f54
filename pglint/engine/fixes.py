"""Applying fixes: text edits at exact offsets, so comments, case and formatting of
everything else stay as the author wrote them.

A round applies every applicable fix that does not overlap an earlier one; the rounds, the
parse check and the convergence guard live in ``pglint.cli.fix.run_fix``.
"""

from __future__ import annotations

from .diagnostics import DISPLAY_ONLY, SAFE, UNSAFE, Diagnostic, Fix

MAX_ROUNDS = 10


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None or fix.applicability == DISPLAY_ONLY:
        return False
    return fix.applicability == SAFE or (unsafe and fix.applicability == UNSAFE)


def _overlaps(a: Fix, b: Fix) -> bool:
    for x in a.edits:
        for y in b.edits:
            if x.start < y.end and y.start < x.end:
                return True
            if x.start == y.start and x.start == x.end and y.start == y.end:
                return True  # two insertions at the same point: order would be arbitrary
    return False


def choose(diags: list[Diagnostic], unsafe: bool, skip: set) -> list[Diagnostic]:
    """Applicable, non-overlapping fixes in file order (the first one wins an overlap)."""
    chosen: list[Diagnostic] = []
    for d in sorted(diags, key=lambda d: (min((e.start for e in d.fix.edits), default=0) if d.fix else 0, d.code)):
        if not applicable(d.fix, unsafe) or _fix_key(d) in skip:
            continue
        if any(_overlaps(d.fix, c.fix) for c in chosen):
            continue
        chosen.append(d)
    return chosen


def _fix_key(d: Diagnostic):
    return (d.rule, tuple((e.start, e.end, e.text) for e in d.fix.edits))


def apply_edits(text: str, diags: list[Diagnostic]) -> str:
    """Apply the edits from the end of the text backwards; edits at the same point go in
    in the order their fix lists them."""
    edits = sorted(((e.start, e.end, i, e) for i, e in enumerate(e for d in diags for e in d.fix.edits)),
                   key=lambda x: (x[0], x[1], x[2]), reverse=True)
    for _, _, _, e in edits:
        text = text[: e.start] + e.text + text[e.end :]
    return text


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))

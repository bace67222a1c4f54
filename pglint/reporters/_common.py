"""Helpers shared by the CI reporters (sarif, github, gitlab, junit, html): paths relative
to where pglint ran, stable fingerprints, counts by rule and severity."""

from __future__ import annotations

import hashlib
import os
from collections import Counter

from ..engine.diagnostics import DISPLAY_ONLY, SAFE, UNSAFE

# The one wording for a finding's fix, in every output (full, concise, JSON "how", SARIF,
# HTML, the language server): what the user does to get it applied. ``pglint --fix``
# applies safe fixes; ``pglint --unsafe-fixes`` (with or without --fix) applies safe and
# unsafe ones; display-only fixes are shown, never applied.
FIX_WORDING = {
    SAFE: "fixable with --fix",
    UNSAFE: "fixable with --unsafe-fixes",
    DISPLAY_ONLY: "suggested fix: needs a manual step",
}


def fix_wording(fix) -> str:
    """The wording for a Fix (or an applicability string); "" for no fix."""
    if fix is None:
        return ""
    return FIX_WORDING.get(getattr(fix, "applicability", fix), "")


def fix_counts(diagnostics) -> dict[str, int]:
    """How many findings have a fix of each applicability (safe, unsafe, display-only)."""
    out = {SAFE: 0, UNSAFE: 0, DISPLAY_ONLY: 0}
    for d in diagnostics:
        if d.fix is not None and d.fix.applicability in out:
            out[d.fix.applicability] += 1
    return out


# SARIF levels / GitHub workflow commands / GitLab Code Quality severities
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
GITHUB_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}
GITLAB_SEVERITY = {"error": "critical", "warning": "major", "info": "info"}


def relative_path(path: str, base: str | None = None) -> str:
    """``path`` relative to ``base`` (default: the working directory) with ``/`` separators
    when it lies under it; otherwise the path as given (absolute or ``../``)."""
    if (path.startswith("<") and path.endswith(">")) or "://" in path:  # <stdin>, a database object's URI
        return path
    base = os.path.abspath(base or os.getcwd())
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, base)
    except ValueError:  # another drive (Windows)
        return path.replace(os.sep, "/")
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return path.replace(os.sep, "/") if not os.path.isabs(path) else full.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def _squash(text: str) -> str:
    """Text with every run of whitespace made one space (layout does not matter)."""
    return " ".join(text.split())


def _basis(d) -> tuple[str, int]:
    """What a diagnostic's fingerprint is made of: its statement (whitespace-normalised)
    and its offset inside it counted in non-blank characters, so that neither the line
    number nor re-indentation changes it; lines of the span when it has no statement."""
    text = d.statement_text
    if text is not None and d.statement_start is not None:
        rel = max(0, min(d.start - d.statement_start, len(text)))
        return _squash(text), len("".join(text[:rel].split()))
    lines = "\n".join(d.source_lines)
    first = d.source_lines[0] if d.source_lines else ""
    rel = max(0, min(d.column - 1, len(first)))
    return _squash(lines) + "\0" + d.message, len("".join(first[:rel].split()))


def fingerprints(result, with_path: bool = False) -> dict[int, str]:
    """A fingerprint per diagnostic (keyed by ``id(diagnostic)``) that survives edits
    above the statement: sha256 of rule, normalised statement text, offset inside it and
    the occurrence number of that triple in the file (identical statements stay distinct).
    ``with_path`` adds the file path, for consumers that match across files (GitLab)."""
    out: dict[int, str] = {}
    for f in result.files:
        seen: Counter = Counter()
        for d in f.diagnostics:
            stmt, rel = _basis(d)
            key = (d.rule, stmt, rel)
            n = seen[key]
            seen[key] += 1
            parts = [d.rule, stmt, str(rel), str(n)]
            if with_path:
                parts.insert(0, relative_path(d.path))
            out[id(d)] = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return out


def by_rule(result) -> list[dict]:
    """Findings per (rule, severity), most frequent first."""
    counts: Counter = Counter()
    codes = {}
    for d in result.diagnostics:
        counts[(d.rule, d.severity)] += 1
        codes[d.rule] = d.code
    rows = [{"rule": r, "code": codes[r], "severity": s, "count": n} for (r, s), n in counts.items()]
    rows.sort(key=lambda x: (-x["count"], x["code"], x["severity"]))
    return rows


def by_file(result) -> list[dict]:
    """Findings per file with a count per severity (files without findings left out)."""
    rows = []
    for f in result.files:
        if not f.diagnostics:
            continue
        c = Counter(d.severity for d in f.diagnostics)
        rows.append({"path": f.path, "error": c["error"], "warning": c["warning"], "info": c["info"],
                     "count": len(f.diagnostics), "statements": f.statements})
    return rows


def rule_url(rule: str, where=None) -> str:
    """The rule page's link; ``where`` (the run result or Settings) carries ``docs-url``."""
    from ..docs import rule_url as _rule_url

    return _rule_url(rule, where)

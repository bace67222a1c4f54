"""One self-contained HTML page (CI artifact): summary numbers, findings by rule and by
file, then every finding with its statement (the span highlighted), message, help and a
link to the rule page. Rendered with jinja2 (``templates/report.html.j2``); inline CSS,
no script, no external asset (a Content-Security-Policy forbids loading any)."""

from __future__ import annotations

import re

from . import summary_counts, summary_line
from ._common import by_file, by_rule, rule_url

NEEDS_STATEMENT_TEXT = True

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
CONTEXT = 8  # lines shown around the finding in a long statement
MAX_LINES = 60  # lines of statement shown per finding at most


def _lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


def _excerpt(d) -> dict:
    """The statement's lines (numbered as in the file) with the span marked."""
    if d.statement_text is not None and d.statement_position is not None:
        first, column = d.statement_position
        lines = _lines(d.statement_text.rstrip("\r\n"))
        # the first line starts at the statement's column: pad it so columns line up
        lines[0] = " " * (column - 1) + lines[0]
    else:
        first = d.line
        lines = list(d.source_lines)
    if not lines:
        return {"rows": [], "above": 0, "below": 0}
    last = first + len(lines) - 1
    lo, hi = first, last
    if len(lines) > MAX_LINES:
        lo = max(first, d.line - CONTEXT)
        hi = min(last, max(d.end_line, d.line) + CONTEXT, lo + MAX_LINES - 1)
    rows = []
    for n in range(lo, hi + 1):
        text = lines[n - first]
        if d.line <= n <= max(d.end_line, d.line):
            a = d.column - 1 if n == d.line else 0
            b = d.end_column - 1 if n == d.end_line else len(text)
            a = max(0, min(a, len(text)))
            b = max(a, min(b, len(text)))
            rows.append({"n": n, "hit": True, "before": text[:a], "mark": text[a:b], "after": text[b:]})
        else:
            rows.append({"n": n, "hit": False, "before": text, "mark": "", "after": ""})
    return {"rows": rows, "above": lo - first, "below": last - hi}


def context(result) -> dict:
    from .. import __version__
    from ..engine.registry import all_rules
    from .sarif import _grammar_version

    rules = all_rules()
    counts = summary_counts(result)
    rule_rows = []
    for row in by_rule(result):
        r = rules.get(row["rule"])
        rule_rows.append({**row, "url": rule_url(row["rule"]), "summary": r.summary if r else ""})
    file_rows = by_file(result)
    anchors = {}
    for k, row in enumerate(file_rows):
        row["anchor"] = anchors[row["path"]] = f"file-{k + 1}"
    files = []
    for f in result.files:
        if not f.diagnostics and not f.notes:
            continue
        findings = []
        for d in f.diagnostics:
            findings.append({
                "d": d, "url": rule_url(d.rule), "excerpt": _excerpt(d),
            })
        files.append({"path": f.path, "anchor": anchors.get(f.path, ""), "findings": findings,
                      "notes": f.notes})
    settings = getattr(result, "settings", None)
    pv = getattr(settings, "pg_version", None)
    return {
        "version": __version__,
        "grammar": _grammar_version(),
        "target": ".".join(str(x) for x in pv) if isinstance(pv, tuple) else (pv or ""),
        "counts": counts,
        "elapsed": f"{result.elapsed:.2f}",
        "summary": summary_line(result),
        "rules": rule_rows,
        "files": file_rows,
        "file_sections": files,
    }


def render(result, out, options) -> None:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("pglint", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    out.write(env.get_template("report.html.j2").render(**context(result)))

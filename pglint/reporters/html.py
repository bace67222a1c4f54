"""One self-contained HTML page (CI artifact) that stays usable on thousands of findings.

Summary numbers and the findings by rule and by file; a filter bar (rule, severity, file,
free text) whose every value shows how many findings it has and how many are shown; the
findings grouped by file or by rule in collapsible sections; each finding's statement
with the span marked, its message, help and fix (in the one fix wording); and the page of
every rule present in the run, embedded (rendered from ``rules/<name>.md``) with the
rule's explanation, so the links work offline.

Rendered with jinja2 (``templates/report.html.j2``). The one inline script
(``templates/report.js``) is allowed by a Content-Security-Policy that names its sha256
hash, computed here; nothing else runs and nothing is loaded from outside. Without the
script (or with scripts off) the page shows every finding grouped by file.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter

from . import summary_counts, summary_line
from ._common import by_file, by_rule

try:  # the single fix wording (issue 20), shared by every reporter
    from ._common import FIX_WORDING
except ImportError:  # pragma: no cover - until _common defines it; the same texts
    FIX_WORDING = {"safe": "fixable with --fix", "unsafe": "fixable with --unsafe-fixes",
                   "display-only": "suggested fix: needs a manual step"}

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
    if not lines or d.line <= 0:
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


def where(d) -> str:
    """``path:line:column``, or the path alone for a finding without a position in a file
    (a database object of ``pglint health``: line 0)."""
    return d.where


def rule_anchor(name: str) -> str:
    return f"rule-{name}"


_MD_LINK = re.compile(r'href="([a-z0-9][a-z0-9-]*)\.md(#[^"]*)?"')


def rule_page_html(name: str, present: set[str], docs=None) -> str | None:
    """The rule's page (``rules/<name>.md``, as ``pglint rule NAME`` prints it) as HTML
    for embedding: raw HTML in the markdown is escaped, the title is dropped (the section
    has its own), and links to other rule pages go to their section in the report when
    that rule is in it, else to the rule's page (docs-url or the packaged file)."""
    from markdown_it import MarkdownIt

    from ..docs import rule_page, rule_url

    page = rule_page(name)
    if page is None:
        return None
    lines = page.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    out = md.render("\n".join(lines))

    def link(m: re.Match) -> str:
        other = m.group(1)
        if other in present:
            return f'href="#{rule_anchor(other)}"'
        return f'href="{rule_url(other, docs)}"'

    return _MD_LINK.sub(link, out)


def script_text() -> str:
    from importlib.resources import files

    text = files("pglint").joinpath("templates", "report.js").read_text(encoding="utf-8")
    if "</script" in text.lower():  # pragma: no cover - would end the script element early
        raise ValueError("report.js must not contain </script")
    return text


def csp_hash(script: str) -> str:
    """The CSP source expression that allows exactly ``script`` (its UTF-8 bytes)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def context(result) -> dict:
    from .. import __version__
    from ..docs import rule_url
    from ..engine.registry import all_rules
    from .sarif import _grammar_version

    rules = all_rules()
    counts = summary_counts(result)
    diags = result.diagnostics
    present = {d.rule for d in diags}
    rule_rows = []
    for row in by_rule(result):
        r = rules.get(row["rule"])
        rule_rows.append({**row, "url": "#" + rule_anchor(row["rule"]), "summary": r.summary if r else ""})
    file_rows = by_file(result)
    anchors = {}
    for k, row in enumerate(file_rows):
        row["anchor"] = anchors[row["path"]] = f"file-{k + 1}"
    files = []
    n = 0
    for f in result.files:
        if not f.diagnostics and not f.notes:
            continue
        findings = []
        for d in f.diagnostics:
            n += 1
            findings.append({"d": d, "n": n, "where": where(d), "url": "#" + rule_anchor(d.rule),
                             "fix": FIX_WORDING.get(d.fix.applicability, d.fix.applicability) if d.fix else None,
                             "excerpt": _excerpt(d)})
        files.append({"path": f.path, "anchor": anchors.get(f.path, ""), "findings": findings,
                      "notes": f.notes, "count": len(f.diagnostics)})
    # one section per rule present: its page, the explanation (once per rule), its fix counts
    per_rule = Counter(d.rule for d in diags)
    explanations: dict[str, str] = {}
    fixes: dict[str, Counter] = {}
    for d in diags:
        if d.explanation and d.rule not in explanations:
            explanations[d.rule] = d.explanation
        if d.fix is not None:
            fixes.setdefault(d.rule, Counter())[d.fix.applicability] += 1
    order = sorted(per_rule, key=lambda r: (-per_rule[r], rules[r].code if r in rules else r))
    rule_sections = []
    for name in order:
        r = rules.get(name)
        rule_sections.append({
            "name": name, "anchor": rule_anchor(name), "code": r.code if r else "",
            "summary": r.summary if r else "", "severity": r.severity if r else "",
            "count": per_rule[name], "explanation": explanations.get(name),
            "fixes": [(FIX_WORDING.get(k, k), v) for k, v in sorted(fixes.get(name, {}).items())],
            "page": rule_page_html(name, present, result), "url": rule_url(name, result),
        })
    severities = Counter(d.severity for d in diags)
    paths = Counter(d.path for d in diags)
    settings = getattr(result, "settings", None)
    pv = getattr(settings, "pg_version", None)
    script = script_text()
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
        "rule_sections": rule_sections,
        "facets": {
            "severity": [(s, severities[s]) for s in ("error", "warning", "info") if severities[s]],
            "rule": [(s["name"], s["count"]) for s in rule_sections],
            "file": [(p, paths[p]) for p in paths],
        },
        "fix_wording": FIX_WORDING,
        "database": getattr(result, "database", None),  # pglint health: objects, not files
        "script": script,
        "script_hash": csp_hash(script),
    }


def render(result, out, options) -> None:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("pglint", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    out.write(env.get_template("report.html.j2").render(**context(result)))

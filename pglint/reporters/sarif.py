"""SARIF 2.1.0 (GitHub code scanning, the VS Code SARIF viewer).

One run. ``tool.driver`` carries pglint's version, the PostgreSQL grammar version of the
parser (pglast / libpg_query) and one rule descriptor per registered rule (id = rule
name; descriptions and help from the rule page). Results point at files relative to
``%SRCROOT%`` (the directory pglint ran in, given in ``originalUriBaseIds``); regions
are 1-based, end column exclusive, columns counted in code points
(``columnKind: unicodeCodePoints``). ``partialFingerprints`` come from the rule, the
normalised statement text and the offset inside it, so they survive edits above the
statement. Fixes become ``fixes`` (artifactChanges / replacements).
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from . import summary_counts
from ._common import SARIF_LEVEL, fix_wording, fingerprints, relative_path

NEEDS_STATEMENT_TEXT = True  # fingerprints are computed from the statement text

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/pglint/pglint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pglintStatementHash/v1"


def _grammar_version() -> str:
    from pglast import parser

    v = parser.get_postgresql_version()
    return ".".join(str(x) for x in v) if isinstance(v, (tuple, list)) else str(v)


def _page_parts(name: str, summary: str) -> tuple[str, str]:
    """(fullDescription, help markdown) from ``rules/<name>.md``."""
    from ..docs import page_sections, rule_page

    page = rule_page(name)
    if not page:
        return summary, summary
    sections = page_sections(page)
    full = [sections.get("What it flags", "")]
    for extra in ("Lock and what it blocks", "What goes wrong"):
        if sections.get(extra):
            full.append(sections[extra])
    full_text = "\n\n".join(p for p in full if p) or summary
    # the page without its title line: GitHub shows the help next to the rule's name
    lines = page.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return full_text, "\n".join(lines).strip() or summary


def rule_descriptors(rules, docs=None) -> list[dict]:
    """``docs``: the run result or Settings whose ``docs-url`` makes the helpUri."""
    from ..docs import rule_url

    out = []
    for r in rules:
        full, help_md = _page_parts(r.name, r.summary)
        out.append({
            "id": r.name,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": full},
            "help": {"text": help_md, "markdown": help_md},
            "helpUri": rule_url(r.name, docs),
            "defaultConfiguration": {"level": SARIF_LEVEL.get(r.severity, "warning"), "enabled": r.default},
            "properties": {"code": r.code, "category": r.category, "fix": r.fix,
                           "tags": ["postgresql", "migrations", r.category]},
        })
    return out


def _quote(path: str, safe: str = "/") -> str:
    # a file name that is not valid UTF-8 reaches Python as surrogate escapes: the URI
    # percent-encodes its original bytes
    return quote(path.encode("utf-8", "surrogateescape"), safe=safe)


def _location(path: str, base: str) -> dict:
    if path.startswith(("postgresql://", "postgres://")):  # a database object (pglint health)
        return {"uri": path}
    rel = relative_path(path, base)
    if rel.startswith("<") and rel.endswith(">"):  # <stdin>: a name, not a file
        return {"uri": _quote(rel, safe="")}
    if os.path.isabs(rel) or rel == ".." or rel.startswith("../"):
        full = os.path.abspath(path).replace(os.sep, "/")
        return {"uri": "file://" + ("" if full.startswith("/") else "/") + _quote(full)}
    return {"uri": _quote(rel), "uriBaseId": SRCROOT}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict:
    line = max(1, line)
    column = max(1, column)
    end_line = max(line, end_line)
    end_column = max(1, end_column)
    if end_line == line:
        end_column = max(column, end_column)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _fix(d, loc: dict) -> dict:
    fix = d.fix
    positions = d.edit_positions if len(d.edit_positions) == len(fix.edits) else None
    replacements = []
    for k, e in enumerate(fix.edits):
        if positions is not None:
            (sl, sc), (el, ec) = positions[k]
            region = _region(sl, sc, el, ec)
        else:  # positions unknown: character offsets into the file
            region = {"charOffset": e.start, "charLength": max(0, e.end - e.start)}
        replacements.append({"deletedRegion": region, "insertedContent": {"text": e.text}})
    return {
        "description": {"text": f"{fix.title} ({fix_wording(fix)})"},
        "artifactChanges": [{"artifactLocation": dict(loc), "replacements": replacements}],
        "properties": {"applicability": fix.applicability, "how": fix_wording(fix)},
    }


def document(result, base: str | None = None) -> dict:
    from .. import __version__
    from ..engine.registry import all_rules

    base = os.path.abspath(base or os.getcwd())
    rules = list(all_rules().values())
    index = {r.name: i for i, r in enumerate(rules)}
    prints = fingerprints(result)
    results = []
    for f in result.files:
        loc = _location(f.path, base)
        for d in f.diagnostics:
            text = d.message if not d.help else f"{d.message}\nHelp: {d.help}"
            res = {
                "ruleId": d.rule,
                "level": SARIF_LEVEL.get(d.severity, "warning"),
                "message": {"text": text},
                "locations": [{"physicalLocation": {
                    "artifactLocation": dict(loc),
                    # no region for a finding with no position in a file (a database object)
                    **({"region": _region(d.line, d.column, d.end_line, d.end_column)} if d.line > 0 else {}),
                }}],
                "partialFingerprints": {FINGERPRINT_KEY: prints[id(d)]},
                "properties": {"code": d.code, "severity": d.severity},
            }
            if d.rule in index:
                res["ruleIndex"] = index[d.rule]
            if d.relation:
                res["properties"]["relation"] = d.relation
            if d.fix is not None and d.fix.edits:
                res["fixes"] = [_fix(d, loc)]
            results.append(res)
    notes = [{"level": "note", "message": {"text": f"not analysed: {n}"},
              "locations": [{"physicalLocation": {"artifactLocation": _location(f.path, base)}}]}
             for f in result.files for n in f.notes]
    base_uri = "file://" + ("" if base.startswith("/") else "/") + _quote(base.replace(os.sep, "/"))
    base_uri += "" if base_uri.endswith("/") else "/"
    invocation = {"executionSuccessful": True, "workingDirectory": {"uri": base_uri}}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    settings = getattr(result, "settings", None)
    driver_props = {"postgresqlGrammarVersion": _grammar_version()}
    if settings is not None and getattr(settings, "pg_version", None):
        pv = settings.pg_version
        driver_props["targetPostgresqlVersion"] = ".".join(str(x) for x in pv) if isinstance(pv, tuple) else str(pv)
    counts = summary_counts(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "pglint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rule_descriptors(rules, result),
                "properties": driver_props,
            }},
            "invocations": [invocation],
            "originalUriBaseIds": {SRCROOT: {"uri": base_uri}},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"files": counts["files"], "statements": counts["statements"]},
        }],
    }


def render(result, out, options) -> None:
    from ._json_text import dump

    dump(document(result), out, indent=2)  # json.dump(..., ensure_ascii=False, indent=2)'s text
    out.write("\n")

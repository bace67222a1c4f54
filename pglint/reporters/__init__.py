"""Output formats. Each reporter module has ``render(result, out, options)``; heavy
libraries (rich, jinja2) are imported only by the reporter that needs them."""

from __future__ import annotations

import importlib

FORMATS = {
    "full": "full",
    "concise": "concise",
    "json": "json_format",
    # CI, code scanning and report formats (issue 5)
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
    "junit": "junit",
    "html": "html",
}


def get(name: str):
    return importlib.import_module(f"{__name__}.{FORMATS[name]}")


def summary_counts(result) -> dict:
    diags = result.diagnostics
    by_sev = {"error": 0, "warning": 0, "info": 0}
    for d in diags:
        by_sev[d.severity] = by_sev.get(d.severity, 0) + 1
    return {
        "files": len(result.files),
        "statements": result.statements,
        "diagnostics": len(diags),
        "errors": by_sev["error"],
        "warnings": by_sev["warning"],
        "infos": by_sev["info"],
        "unreadable_files": sum(1 for f in result.files if f.unreadable),
        "files_with_diagnostics": sum(1 for f in result.files if f.diagnostics),
        # findings from rollback files and down sections (the `rollbacks` setting)
        "rollback_diagnostics": sum(1 for d in diags if getattr(d, "rollback", False)),
        # files with statements pglint does not know run in a transaction or not
        # (no known migration layout and no assume-in-transaction)
        "transaction_mode_unknown": sum(1 for f in result.files if getattr(f, "tx_unknown", False)),
    }


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def elapsed(result) -> float:
    """Seconds from process start to now (the command sets the start); the lint's own
    time for a result made elsewhere (the library, trace)."""
    wall = getattr(result, "wall", None)
    return wall() if callable(wall) else result.elapsed


def summary_line(result) -> str:
    if getattr(result, "database", None) is not None:  # pglint health: database objects, not files
        from ..live.health import health_summary_line
        return health_summary_line(result)
    c = summary_counts(result)
    secs = elapsed(result)
    files = plural(c["files"], "file")
    stmts = plural(c["statements"], "statement")
    if not c["diagnostics"]:
        return f"No problems found in {files} ({stmts}, {secs:.2f}s)." + _notes(c)
    parts = [plural(c[k], w) for k, w in (("errors", "error"), ("warnings", "warning"), ("infos", "info")) if c[k]]
    return (f"Found {plural(c['diagnostics'], 'problem')} ({', '.join(parts)}) in "
            f"{c['files_with_diagnostics']} of {files} ({stmts}, {secs:.2f}s)." + _notes(c))


def _notes(c: dict) -> str:
    out = ""
    n = c.get("rollback_diagnostics")
    if n:
        out += f" {plural(n, 'finding')} from rollback files or down sections (setting: rollbacks)."
    n = c.get("transaction_mode_unknown")
    if n:
        out += (f" Transaction mode unknown for {plural(n, 'file')}: pglint does not know whether the migration tool "
                "runs each in a transaction, so findings that depend on it are conditional "
                "(set assume-in-transaction to say).")
    return out


def next_steps(result, grouped: bool = False, capped: bool = False) -> list[str]:
    """What to do next, for the last lines of a human report: fixes by kind, how to
    silence a rule, how to get the full list."""
    from ._common import fix_counts

    diags = result.diagnostics
    if not diags:
        return []
    n = fix_counts(diags)
    out = []
    if n["safe"]:
        out.append(f"{n['safe']} fixable with `pglint --fix`.")
    if n["unsafe"]:
        more = "more " if n["safe"] else ""
        out.append(f"{n['unsafe']} {more}with `pglint --unsafe-fixes` (these change behaviour: review the diff "
                   "first with `pglint --diff --unsafe-fixes`).")
    if n["display-only"]:
        out.append(f"{plural(n['display-only'], 'finding')} with a suggested fix that needs a manual step "
                   "(the \"fix:\" line says what to do).")
    out.append("Silence a rule: `--ignore RULE`, `ignore = [\"RULE\"]` in pglint.toml (or [tool.pglint]), "
               "or a `-- pglint: ignore[RULE] reason` comment above the statement.")
    if grouped or capped:
        out.append("Every finding with its code and explanation: `pglint --no-summary-first`; "
                   "as a filterable page: `pglint --format html -o report.html`.")
    else:
        out.append("Counts per rule only: `pglint --statistics`; as a filterable page: "
                   "`pglint --format html -o report.html`.")
    out.append("What a rule checks and how to fix it: `pglint rule RULE`.")
    return out

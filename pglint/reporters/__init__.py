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


def summary_line(result) -> str:
    if getattr(result, "database", None) is not None:  # pglint health: database objects, not files
        from ..live.health import health_summary_line
        return health_summary_line(result)
    c = summary_counts(result)
    files = plural(c["files"], "file")
    stmts = plural(c["statements"], "statement")
    if not c["diagnostics"]:
        return f"No problems found in {files} ({stmts}, {result.elapsed:.2f}s)." + _notes(c)
    parts = [plural(c[k], w) for k, w in (("errors", "error"), ("warnings", "warning"), ("infos", "info")) if c[k]]
    return (f"Found {plural(c['diagnostics'], 'problem')} ({', '.join(parts)}) in "
            f"{c['files_with_diagnostics']} of {files} ({stmts}, {result.elapsed:.2f}s)." + _notes(c))


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

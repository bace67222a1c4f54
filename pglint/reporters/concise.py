"""One line per diagnostic: ``path:line:col: CODE rule-name message`` (editors, pre-commit)."""

from __future__ import annotations

from . import summary_line


def render(result, out, options) -> None:
    for f in result.files:
        for d in f.diagnostics:
            out.write(f"{d.where}: {d.code} {d.rule} {d.message}\n")
    if not options.get("quiet"):
        out.write(summary_line(result) + "\n")

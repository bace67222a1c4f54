"""One line per diagnostic: ``path:line:col: CODE rule-name message`` (editors, pre-commit)."""

from __future__ import annotations

from . import summary_line
from ._common import fix_counts, fix_wording


def render(result, out, options) -> None:
    for f in result.files:
        for d in f.diagnostics:
            how = f" [{fix_wording(d.fix)}]" if d.fix is not None else ""
            out.write(f"{d.where}: {d.code} {d.rule} {d.message}{how}\n")
    if not options.get("quiet"):
        out.write(summary_line(result) + "\n")
        n = fix_counts(result.diagnostics)
        if n["safe"] or n["unsafe"]:
            parts = [f"{n['safe']} fixable with `pglint --fix`"] if n["safe"] else []
            if n["unsafe"]:
                parts.append(f"{n['unsafe']} {'more ' if n['safe'] else ''}with `pglint --unsafe-fixes`")
            out.write("; ".join(parts) + ".\n")

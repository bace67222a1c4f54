"""How ``pglint check`` writes its report: the chosen format (or ``full``), or per-rule
counts with ``--statistics``; plus GitHub annotations when running in GitHub Actions
with no ``--format`` given; a progress bar on a terminal."""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

import click

STATISTICS_FORMATS = ("full", "concise", "json")


class Output:
    def __init__(self, fmt: str | None, statistics: bool = False, quiet: bool = False,
                 color: bool | None = None) -> None:
        from ..reporters import get

        self.fmt = fmt or "full"
        self.statistics = statistics
        self.quiet = quiet
        self.color = color
        if statistics and self.fmt not in STATISTICS_FORMATS:
            raise click.UsageError(f"--statistics works with --format {', '.join(STATISTICS_FORMATS)}, "
                                   f"not {self.fmt}")
        self.reporter = get(self.fmt)
        # GitHub Actions: annotations in addition to the normal output (an explicit
        # --format, e.g. --format full, turns them off)
        self.github_too = fmt is None and os.environ.get("GITHUB_ACTIONS") == "true"
        # what the run must compute for this output
        self.statement_text = not statistics and bool(getattr(self.reporter, "NEEDS_STATEMENT_TEXT", False))

    def progress(self):
        from .progress import progress_bar

        return progress_bar(self.quiet, self.color)

    def write(self, result, output_file: str | None) -> None:
        options = {"color": self.color, "quiet": self.quiet}
        emit(output_file, lambda out: self._render(result, out, options))
        if self.github_too:
            from ..reporters import github

            out = _stdout()
            github.render(result, out, {"annotations_only": True})
            out.flush()

    def _render(self, result, out, options) -> None:
        if self.statistics:
            render_statistics(result, out, self.fmt, self.quiet)
        else:
            self.reporter.render(result, out, options)


def emit(output_file: str | None, render) -> None:
    """``render(out)`` writes a report: into ``output_file`` atomically (a file name that is
    not UTF-8 is replaced, never stops the report), else to stdout as UTF-8."""
    if output_file:
        from ..source.writing import write_report

        write_report(output_file, render)
    else:
        out = _stdout()
        render(out)
        out.flush()


def _stdout():
    out = sys.stdout
    try:
        out.reconfigure(encoding="utf-8", errors="replace")
    except (AttributeError, ValueError):
        pass
    return out


def statistics(result) -> list[dict]:
    """Findings per rule (ruff's --statistics): count, code, rule, severities, fixable."""
    rows: dict[str, dict] = {}
    sevs = defaultdict(set)
    for d in result.diagnostics:
        row = rows.setdefault(d.rule, {"code": d.code, "rule": d.rule, "count": 0, "fixable": 0})
        row["count"] += 1
        sevs[d.rule].add(d.severity)
        if d.fix is not None and d.fix.applicability != "display-only":
            row["fixable"] += 1
    out = []
    for name, row in rows.items():
        row["severity"] = "/".join(sorted(sevs[name]))
        out.append(row)
    out.sort(key=lambda r: (-r["count"], r["code"]))
    return out


def render_statistics(result, out, fmt: str, quiet: bool) -> None:
    from ..reporters import summary_line

    rows = statistics(result)
    if fmt == "json":
        json.dump(rows, out, indent=2)
        out.write("\n")
        return
    if rows:
        wc = max(len(str(r["count"])) for r in rows)
        wr = max(len(r["rule"]) for r in rows)
        for r in rows:
            fix = " [*]" if r["fixable"] else ""
            out.write(f"{r['count']:>{wc}}  {r['code']}  {r['rule']:<{wr}}  {r['severity']}{fix}\n")
    if not quiet:
        out.write(summary_line(result) + "\n")

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
                 color: bool | None = None, verbose: bool = False, layout: dict | None = None) -> None:
        from ..reporters import get

        self.fmt = fmt or "full"
        self.statistics = statistics
        self.quiet = quiet
        self.color = color
        self.verbose = verbose
        # full format: summary_first (None: by size), group_by, max_per_rule, threshold, named_files
        self.layout = {k: v for k, v in (layout or {}).items() if v is not None or k == "threshold"}
        if self.fmt != "full" and any(self.layout.get(k) is not None
                                      for k in ("summary_first", "group_by", "max_per_rule")):
            raise click.UsageError("--summary-first, --group-by and --max-per-rule work with --format full")
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
        options = {"color": self.color, "quiet": self.quiet, **self.layout}
        if "threshold" not in self.layout:
            options.pop("threshold", None)
        emit(output_file, lambda out: self._render(result, out, options))
        if self.github_too:
            from ..reporters import github

            out = _stdout()
            github.render(result, out, {"annotations_only": True})
            out.flush()
        if self.verbose:
            # after everything (so "output" and "total" include it); on stderr, so that
            # machine formats on stdout stay as they are
            click.echo(timing_line(result), err=True)

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


def timing_line(result) -> str:
    """--verbose: where the time went."""
    split = result.split() if hasattr(result, "split") else {"total": result.elapsed}
    work = ", ".join(f"{k} {split[k]:.2f}s" for k in ("reading", "parsing", "history", "rules") if k in split)
    workers = split.get("workers", 1)
    per = f" (summed over {workers} worker processes)" if workers > 1 else ""
    return (f"Time: {split['total']:.2f}s wall from process start = startup {split.get('startup', 0):.2f}s "
            f"+ linting {split.get('linting', 0):.2f}s + output {split.get('output', 0):.2f}s; "
            f"linting work: {work}{per}.")

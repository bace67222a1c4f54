"""Output of ``pglint trace``: JSON (statements and diagnostics), a per-statement table
(``full``), and the diagnostics in any other output format of ``pglint check``."""

from __future__ import annotations

import json

from ..engine.diagnostics import Diagnostic
from .tracer import DOCUMENTED, FROM_BACKEND, NOT_OBSERVED, TracedStatement

VERSION = 1


def statement_json(ts: TracedStatement) -> dict:
    return {
        "path": ts.path,
        "line": ts.line,
        "sql": ts.sql,
        "locks": [{"relation": lt.relation, "mode": lt.mode} for lt in ts.locks],
        "rewrites": [r.qualified for r in ts.rewrites],
        "lock_timeout": ts.lock_timeout,
        "duration_ms": None if ts.duration_ms is None else round(ts.duration_ms, 3),
    }


def document(result) -> dict:
    return {
        "version": VERSION,
        "statements": [statement_json(ts) for ts in result.statements],
        "diagnostics": [d.to_json(None) for d in result.diagnostics],
    }


def render_json(result, out) -> None:
    json.dump(document(result), out, ensure_ascii=False, indent=2)
    out.write("\n")


def as_run_result(result):
    """The diagnostics as a ``check`` result, for its reporters."""
    from ..engine.checker import FileResult
    from ..engine.runner import RunResult

    by_path: dict[str, FileResult] = {}
    for ft in result.files:
        if ft.traced or ft.errors or ft.unreadable:
            fr = by_path.setdefault(ft.path, FileResult(ft.path))
            fr.statements += len(ft.statements)
            fr.unreadable = ft.unreadable
    for d in result.diagnostics:
        by_path.setdefault(d.path, FileResult(d.path)).diagnostics.append(d)
    for fr in by_path.values():
        fr.diagnostics.sort(key=Diagnostic.sort_key)
    return RunResult(list(by_path.values()), result.elapsed)


def _first_line(sql: str, width: int = 70) -> str:
    lines = [ln.strip() for ln in sql.strip().splitlines() if ln.strip()]
    text = lines[0] if lines else ""
    more = len(lines) > 1
    if len(text) > width:
        text, more = text[: width - 1], True
    return text + (" …" if more else "")


def _ms(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def render_full(result, out, options) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    color = options.get("color")
    console = Console(file=out, highlight=False, soft_wrap=False, force_terminal=True if color is True else None,
                      no_color=color is False, width=options.get("width"))
    if not console.is_terminal and not options.get("width"):
        console.width = 160
    traced = result.traced_files
    replayed = len(result.files) - len(traced)
    if not result.files:
        from ..reporters import full

        out.write("Nothing to trace: no SQL files found.\n")
        full.render(as_run_result(result), out, options)
        return
    head = (f"Trace on {result.server} (PostgreSQL {result.server_version}): {len(traced)} file"
            f"{'s' if len(traced) != 1 else ''} traced")
    if replayed:
        head += f", {replayed} earlier file{'s' if replayed != 1 else ''} replayed"
    console.print(Text(head, style="bold"))
    for ft in traced:
        table = Table(title=Text(ft.path, style="bold"), title_justify="left", show_lines=True, expand=False)
        table.add_column("line", justify="right", style="dim", no_wrap=True)
        table.add_column("statement", overflow="fold", ratio=5)
        table.add_column("locks", overflow="fold", ratio=4)
        table.add_column("rewrite", overflow="fold", ratio=2)
        table.add_column("ms", justify="right", no_wrap=True)
        for ts in ft.statements:
            stmt = Text(_first_line(ts.sql))
            info = [f"lock_timeout {ts.lock_timeout}" if ts.lock_timeout is not None else None, ts.run]
            stmt.append("\n" + " · ".join(x for x in info if x), style="dim")
            for ch in ts.changes[:8]:
                stmt.append("\n" + ch, style="cyan")
            if len(ts.changes) > 8:
                stmt.append(f"\n… {len(ts.changes) - 8} more changes", style="cyan")
            if ts.error is not None:
                stmt.append(f"\nERROR: {ts.error.message}", style="bold red")
            c = ts.comparison
            if c is not None and c.disagreements:
                stmt.append("\nstatic model disagrees: " + "; ".join(c.disagreements), style="magenta")
            locks = Text()
            for k, lt in enumerate(ts.locks):
                if k:
                    locks.append("\n")
                style = "bold red" if lt.mode == "AccessExclusiveLock" and lt.oid in ts.existing else None
                locks.append(f"{lt.relation} ", style=None)
                locks.append(lt.mode, style=style)
            if ts.lock_source != FROM_BACKEND and ts.error is None:
                locks.append(("\n" if ts.locks else "") + f"({ts.lock_source})",
                             style="yellow" if ts.lock_source in (DOCUMENTED, NOT_OBSERVED) else "dim")
            rewrite = Text("\n".join(r.qualified for r in ts.rewrites), style="bold yellow")
            table.add_row(str(ts.line), stmt, locks, rewrite, _ms(ts.duration_ms))
        console.print(table)
        if ft.skipped:
            console.print(Text(f"  {ft.skipped} statement{'s' if ft.skipped != 1 else ''} after the error did not run",
                               style="yellow"))
        for n in ft.notes:
            console.print(Text(f"  note: {n}", style="dim"))
    for ft in result.files:
        if not ft.traced:
            for n in ft.notes:
                console.print(Text(f"{ft.path}: note: {n}", style="dim"))
    for n in result.notes:
        console.print(Text(f"note: {n}", style="dim"))
    compared = [ts for ts in result.statements if ts.comparison is not None and ts.comparison.compared]
    if compared:
        bad = sum(1 for ts in compared if ts.comparison.disagreements)
        verdict = "all agree" if not bad else f"{bad} disagree (static-trace-disagreement)"
        console.print(Text(f"Static lock model checked against PostgreSQL on {len(compared)} statement"
                           f"{'s' if len(compared) != 1 else ''}: {verdict}", style="dim"))
    console.print()
    from ..reporters import full

    full.render(as_run_result(result), out, options)

"""Diagnostics from what trace saw: traced-exclusive-lock, traced-rewrite,
traced-lock-without-timeout, static-trace-disagreement and traced-statement-error."""

from __future__ import annotations

import re

from ..engine.diagnostics import Diagnostic
from ..model.locks import Lock
from ..rules._common import fitted
from . import catalog
from .tracer import IN_TRANSACTION, FileTrace, TracedStatement

_TOKEN = re.compile(r'"(?:[^"]|"")*"|[\w$]+|\S')
_LOCKED_KINDS = catalog.TABLE_KINDS | {"v"}


def _fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "?"
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


class _Maker:
    def __init__(self, ft: FileTrace, opts) -> None:
        self.ft = ft
        self.opts = opts
        self.out: list[Diagnostic] = []
        from ..engine.registry import ignored_for

        self.ignored = ignored_for(opts.settings, ft.path)

    def on(self, name: str) -> bool:
        return name in self.opts.enabled and name not in self.ignored

    def add(self, name: str, ts: TracedStatement | None, message: str, help: str | None = None,
            span: tuple[int, int] | None = None, relation: str | None = None, explanation: str | None = None) -> None:
        rule = self.opts.rules[name]
        src = self.ft.source
        start, end = span if span is not None else ((ts.start, ts.end) if ts is not None else (0, 0))
        sev = self.opts.settings.severity.get(name) or rule.severity
        d = Diagnostic(name, rule.code, sev, message, help, self.ft.path, start, end, relation=relation,
                       explanation=explanation)
        if src is not None:
            d.line, d.column = src.position(start)
            d.end_line, d.end_column = src.position(max(end, start))
            last = min(d.end_line, d.line + 7)
            d.source_lines = tuple(src.line_text(n) for n in range(d.line, last + 1))
        else:
            d.line = d.column = d.end_line = d.end_column = 1
        self.out.append(d)


def file_diagnostics(ft: FileTrace, opts) -> list[Diagnostic]:
    m = _Maker(ft, opts)
    if ft.unreadable is not None:
        if m.on("unreadable-file"):
            m.add("unreadable-file", None, f"Cannot trace this file: {ft.unreadable}",
                  "pglint reads SQL files as UTF-8 text; convert or exclude the file.")
        return m.out
    for ts in ft.errors:
        _error(m, ts, replayed=True)
    timeout_reported = False
    for ts in ft.statements:
        if ts.error is not None:
            _error(m, ts, replayed=False)
            continue
        existing = [lt for lt in ts.locks if lt.oid in ts.existing]
        held = " (held until COMMIT)" if ts.run == IN_TRANSACTION else ""
        if m.on("traced-exclusive-lock"):
            ae = [lt for lt in existing if lt.mode == "AccessExclusiveLock" and lt.kind in _LOCKED_KINDS]
            if ae:
                names = ", ".join(lt.relation for lt in ae)
                m.add("traced-exclusive-lock", ts,
                      fitted(f"PostgreSQL took an ACCESS EXCLUSIVE lock on existing {names} for "
                             f"{_fmt_ms(ts.duration_ms)}{held}",
                             f"PostgreSQL took an ACCESS EXCLUSIVE lock on {len(ae)} existing relations for "
                             f"{_fmt_ms(ts.duration_ms)}{held}"),
                      "Find the variant of the statement that takes a weaker lock (see the static rule's help), or "
                      "keep the statement short and run it with a lock_timeout, alone in its transaction.",
                      relation=ae[0].relation,
                      explanation=("The relation existed before this migration: every read and write of it waits "
                                   "while this statement runs (in a transaction, until it commits), and on the "
                                   "production data the statement may take much longer than here."))
        if m.on("traced-rewrite"):
            rw = [r for r in ts.rewrites if r.oid in ts.existing]
            if rw:
                tables = [r.qualified for r in rw if r.kind in ("r", "m")]
                indexes = [r.qualified for r in rw if r.kind == "i"]
                parts = []
                if tables:
                    parts.append(("table " if len(tables) == 1 else "tables ") + ", ".join(tables))
                if indexes:
                    parts.append(("index " if len(indexes) == 1 else "indexes ") + ", ".join(indexes))
                m.add("traced-rewrite", ts,
                      fitted(f"PostgreSQL rewrote {' and '.join(parts)} ({_fmt_ms(ts.duration_ms)} here)",
                             f"PostgreSQL rewrote {len(rw)} existing relations ({_fmt_ms(ts.duration_ms)} here)"),
                      "Use a form that does not rewrite (see the static rule's help: e.g. a new column plus a "
                      "backfill instead of a type change), or rebuild online with pg_repack.",
                      relation=(tables or indexes)[0],
                      explanation=("New storage (pg_class.relfilenode changed): every row is copied while the "
                                   "statement holds its lock, so on a big table this takes as long as reading and "
                                   "writing all of it."))
        if not timeout_reported and m.on("traced-lock-without-timeout") and ts.lock_timeout_off:
            strong = [lt for lt in existing if (lt.lock or Lock.ACCESS_SHARE) >= Lock.SHARE]
            if strong:
                worst = max(strong, key=lambda lt: lt.lock)
                timeout_reported = True
                m.add("traced-lock-without-timeout", ts,
                      f"This statement took {worst.lock.with_article} lock on {worst.relation} while lock_timeout "
                      f"was {ts.lock_timeout}",
                      "Set a lock timeout before the first locking statement (SET lock_timeout = '2s'; or SET LOCAL "
                      "inside a transaction) and retry the migration when it times out.",
                      relation=worst.relation,
                      explanation=("In production it would wait behind any long query or open transaction on the "
                                   "table, and every later query on the table would queue behind it. Reported once "
                                   "per file."))
        c = ts.comparison
        if c is not None and c.disagreements and m.on("static-trace-disagreement"):
            m.add("static-trace-disagreement", ts,
                  fitted(f"pglint's static lock model disagrees with PostgreSQL: {c.disagreements[0]}"
                         + (f" (and {len(c.disagreements) - 1} more)" if len(c.disagreements) > 1 else ""),
                         f"pglint's static lock model disagrees with PostgreSQL on {len(c.disagreements)} "
                         f"point{'s' if len(c.disagreements) > 1 else ''} of this statement"),
                  "Disagreements: " + "; ".join(c.disagreements) + ". Please report it to pglint with the statement.",
                  explanation=("The static locking rules read their lock facts from this model, so they may be wrong "
                               "about this statement; trace shows what PostgreSQL did."))
    return m.out


def _error(m: _Maker, ts: TracedStatement, replayed: bool) -> None:
    if not m.on("traced-statement-error"):
        return
    e = ts.error
    text = " ".join(str(e.message).split())
    code = f" (SQLSTATE {e.sqlstate})" if e.sqlstate else ""
    msg = fitted(f"PostgreSQL rejected this statement: {text}{code}", f"PostgreSQL rejected this statement: {text}",
                 f"PostgreSQL rejected this statement{code}")
    helps = [] if text in msg else [f"ERROR: {text}"]
    why = ("This file was only replayed to build the schema for the files traced after it, and they may fail because "
           "of it." if replayed else None)
    if e.detail:
        helps.append(f"DETAIL: {e.detail}")
    if e.hint:
        helps.append(f"HINT: {e.hint}")
    if ts.after_error:
        helps.append(ts.after_error[0].upper() + ts.after_error[1:] + ".")
    span = None
    src = m.ft.source
    if e.offset is not None and src is not None:
        tm = _TOKEN.match(src.text, e.offset) if e.offset < len(src.text) else None
        span = (e.offset, tm.end() if tm else e.offset)
    m.add("traced-statement-error", ts, msg, " ".join(helps) or None, span=span, explanation=why)

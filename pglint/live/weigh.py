"""Weigh locking findings by the size of the table they are about.

A finding whose statement scans, rewrites or indexes the table holds its lock for as long
as that work lasts, which grows with the table: above ``large-table-size`` /
``large-table-rows`` it becomes an error, below ``small-table-rows`` an info. Findings
about locks that are brief but queue (lock-timeout-missing, DROP INDEX ...) get the size
in ``extra`` and keep their severity: there the danger is the traffic, not the size.

Durations are rough estimates: bytes read at ``scan-rate`` (validation scans), bytes
written at ``rewrite-rate`` (rewrites and index builds). They say "seconds" or "hours",
not the exact time.
"""

from __future__ import annotations

from ..engine.diagnostics import ERROR, INFO
from ..model.locks import LockEffect
from .catalog import RelStats
from .config import LiveConfig, human_count, human_duration, human_size

SCAN, BUILD, REWRITE = "scan", "build", "rewrite"
BACKFILL = "backfill"  # an UPDATE/DELETE of every matching row (backfill-in-migration): sized like a rewrite


def work_kind(effect: LockEffect, stmt_type: str) -> str | None:
    """What the statement does to the relation for as long as it holds the lock."""
    if stmt_type == "TruncateStmt":
        return None  # new empty storage: instant whatever the size
    if effect.rewrite:
        return REWRITE
    if effect.scan:
        if stmt_type in ("IndexStmt", "ReindexStmt") or "index" in effect.why:
            return BUILD
        return SCAN
    return None


def estimate_seconds(st: RelStats, kind: str, cfg: LiveConfig) -> float:
    if kind == SCAN:
        return st.heap_bytes / cfg.scan_rate
    if kind == BUILD:
        return st.heap_bytes / cfg.rewrite_rate
    return st.total_bytes / cfg.rewrite_rate


def is_large(st: RelStats, cfg: LiveConfig) -> bool:
    return (st.rows or 0) >= cfg.large_table_rows or st.total_bytes >= cfg.large_table_size


def is_small(st: RelStats, cfg: LiveConfig) -> bool:
    return st.rows is not None and st.rows < cfg.small_table_rows and st.total_bytes < cfg.large_table_size


def table_extra(st: RelStats) -> dict:
    return {"relation": st.name, "rows_estimate": None if st.rows is None else int(st.rows),
            "total_bytes": st.total_bytes, "heap_bytes": st.heap_bytes, "size": human_size(st.total_bytes),
            "size_source": "pg_total_relation_size" if st.exact else "pg_class.relpages"}


def describe(st: RelStats) -> str:
    rows = "rows unknown (never analyzed)" if st.rows is None else f"~{human_count(st.rows)} rows"
    return f"{st.name}: {rows}, {human_size(st.total_bytes)}"


_VERB = {SCAN: "the scan", BUILD: "the index build", REWRITE: "the rewrite", BACKFILL: "the backfill"}


def weigh(d, st: RelStats, kind: str | None, cfg: LiveConfig, explicit_severity: bool) -> None:
    """Attach size, rows and (for scans and rewrites) the duration; adjust severity."""
    extra = table_extra(st)
    note = describe(st)
    if kind is not None:
        secs = estimate_seconds(st, kind, cfg)
        rate = cfg.scan_rate if kind == SCAN else cfg.rewrite_rate
        extra["work"] = kind
        extra["lock_seconds_estimate"] = round(secs, 1)
        note += f"; {_VERB[kind]} holds the lock for about {human_duration(secs)} (at {human_size(rate)}/s)"
        if not explicit_severity:
            if is_large(st, cfg):
                if d.severity != ERROR:
                    extra["severity_raised_from"] = d.severity
                d.severity = ERROR
            elif is_small(st, cfg) and d.severity != INFO:
                extra["severity_lowered_from"] = d.severity
                d.severity = INFO
    d.extra["table"] = extra
    if "(live: " not in d.message and "Live: " not in (d.help or ""):
        # on the first line when it fits there (issue 20), else at the head of the help
        short = f"{d.message} (live: {note.split(';')[0]})"
        if len(short) <= 120:
            d.message = short
        d.help = f"Live: {note}." + (f" {d.help}" if d.help else "")

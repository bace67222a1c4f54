"""pg_stat_statements: read the view with the columns of the installed extension version,
group entries by pglast fingerprint (constants and $n parameters fingerprint alike), and
match the queries of the linted files against them.

Columns by extension version (postgres/postgres contrib upgrade scripts):
  < 1.8 (PG 12 and older)  total_time, mean_time
  1.8 (PG 13)              total_exec_time + total_plan_time (plan time is 0 unless
                           pg_stat_statements.track_planning is on)
  1.9 (PG 14)              toplevel (nested statements when track = all)
  1.10 (PG 15, 16)         no change we read
  1.11 (PG 17)             blk_read_time renamed shared_blk_read_time
  1.12 (PG 18)             no change we read
The version comes from pg_extension.extversion, never from the server version: an
extension that was not updated after pg_upgrade keeps its old columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .session import Session, Skipped, quote_ident

INSUFFICIENT = "<insufficient privilege>"


def columns_for(extversion: tuple[int, ...]) -> dict[str, str | None]:
    """SQL expressions for the values pglint reads, for an extension version."""
    if extversion >= (1, 8):
        total = "s.total_exec_time + s.total_plan_time"
    else:
        total = "s.total_time"
    return {
        "total": total,
        "toplevel": "s.toplevel" if extversion >= (1, 9) else None,
        "io_time": ("s.shared_blk_read_time + s.shared_blk_write_time" if extversion >= (1, 11)
                    else "s.blk_read_time + s.blk_write_time"),
    }


def statements_sql(schema: str, extversion: tuple[int, ...]) -> str:
    c = columns_for(extversion)
    where = "s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.calls > 0"
    if c["toplevel"]:
        where += f" AND {c['toplevel']}"
    return (f"SELECT s.queryid, s.query, s.calls::int8, ({c['total']})::float8 AS total_ms, s.rows::int8, "
            f"({c['io_time']})::float8 AS io_ms "
            f"FROM {quote_ident(schema)}.pg_stat_statements s WHERE {where}")


@dataclass
class QueryStats:
    fingerprint: str
    query: str  # one normalised text of the group
    calls: int = 0
    total_ms: float = 0.0
    rows: int = 0
    queryids: list = field(default_factory=list)
    share: float = 0.0  # of the database's total time

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0

    def summary(self) -> str:
        calls = f"{self.calls:,} call{'' if self.calls == 1 else 's'}"
        return (f"{calls}, mean {self.mean_ms:.1f} ms, total {self.total_ms / 1000:.1f} s, "
                f"{self.share * 100:.1f}% of the database's query time")

    def to_json(self) -> dict:
        return {"calls": self.calls, "mean_ms": round(self.mean_ms, 3), "total_ms": round(self.total_ms, 3),
                "share": round(self.share, 4), "rows": self.rows,
                "queryids": [str(q) for q in self.queryids[:5]]}


@dataclass
class StatementStats:
    available: bool
    problem: str | None = None  # why not, and how to enable it
    skipped: Skipped | None = None
    extversion: tuple[int, ...] = ()
    by_fingerprint: dict[str, QueryStats] = field(default_factory=dict)
    total_ms: float = 0.0
    hidden: int = 0  # entries of other users (<insufficient privilege>)

    def match(self, fingerprint: str | None) -> QueryStats | None:
        return self.by_fingerprint.get(fingerprint) if fingerprint else None

    def top(self, n: int) -> list[QueryStats]:
        return sorted(self.by_fingerprint.values(), key=lambda q: q.total_ms, reverse=True)[:n]


HOW_TO_ENABLE = ("add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart the "
                 "server, then run CREATE EXTENSION pg_stat_statements in this database")


def load(session: Session) -> StatementStats:
    from pglast.parser import fingerprint

    try:
        with session.transaction("reading pg_stat_statements"):
            ext = session.extension("pg_stat_statements")
    except Skipped as exc:
        return StatementStats(False, f"pg_stat_statements could not be checked ({exc.kind}: {exc.reason})", exc)
    if ext is None:
        how = HOW_TO_ENABLE
        try:  # reading the setting needs pg_read_all_settings: only to word the advice
            with session.transaction("reading shared_preload_libraries"):
                preload = session.scalar("SELECT current_setting('shared_preload_libraries')") or ""
            if "pg_stat_statements" in [p.strip().strip('"') for p in preload.split(",")]:
                how = "it is preloaded already: run CREATE EXTENSION pg_stat_statements in this database"
        except Skipped:
            pass
        return StatementStats(False, f"the pg_stat_statements extension is not installed in this database: {how}")
    schema, version = ext
    try:
        with session.transaction("reading pg_stat_statements"):
            rows = session.fetch(statements_sql(schema, version))
    except Skipped as exc:
        if exc.sqlstate == "55000" or "shared_preload_libraries" in exc.reason:
            return StatementStats(False, "pg_stat_statements is installed but not loaded: add it to "
                                  "shared_preload_libraries in postgresql.conf and restart the server", exc,
                                  extversion=version)
        return StatementStats(False, f"pg_stat_statements could not be read ({exc.kind}: {exc.reason})", exc,
                              extversion=version)
    out = StatementStats(True, extversion=version)
    for queryid, query, calls, total_ms, nrows, _io in rows:
        total_ms = float(total_ms or 0)
        out.total_ms += total_ms
        if not query or query == INSUFFICIENT:
            out.hidden += 1
            continue
        try:
            fp = fingerprint(query)
        except Exception:  # noqa: BLE001 - truncated or utility text pglast cannot read
            continue
        q = out.by_fingerprint.get(fp)
        if q is None:
            q = out.by_fingerprint[fp] = QueryStats(fp, query)
        q.calls += int(calls or 0)
        q.total_ms += total_ms
        q.rows += int(nrows or 0)
        q.queryids.append(queryid)
    for q in out.by_fingerprint.values():
        q.share = q.total_ms / out.total_ms if out.total_ms else 0.0
    return out


def is_slow(q: QueryStats, cfg) -> bool:
    """pghero's slow query: at least ``slow-query-calls`` calls and ``slow-query-mean`` mean."""
    return q.calls >= cfg.slow_query_calls and q.mean_ms >= cfg.slow_query_mean * 1000

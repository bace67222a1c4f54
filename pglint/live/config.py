"""``[tool.pglint.live]``: thresholds and limits of live mode, validated.

Every key has a default (pghero's and dexter's where they have one). Sizes are written
``"1GB"``, ``"500MB"``, ``"64kB"`` (or a number of bytes), durations ``"5s"``, ``"20ms"``,
``"2min"`` (or a number of milliseconds), rates ``"200MB/s"``. An unknown key or a bad
value is a ConfigError naming it (exit code 2).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, fields

from ..config.settings import ConfigError

KB = 1024
MB = 1024 * KB
GB = 1024 * MB


@dataclass(frozen=True)
class LiveConfig:
    # the live session
    statement_timeout: float = 5.0  # seconds, SET LOCAL in every transaction
    lock_timeout: float = 1.0
    connect_timeout: float = 10.0
    analyze: bool = False  # same as --analyze
    # table sizes: severity of locking findings and large-table-lock
    large_table_size: int = 1 * GB
    large_table_rows: int = 1_000_000
    small_table_rows: int = 10_000
    scan_rate: int = 200 * MB  # bytes per second, for "how long the scan lasts"
    rewrite_rate: int = 50 * MB
    # plan rules
    seq_scan_rows: int = 10_000
    nested_loop_rows: int = 1_000
    estimate_factor: float = 10.0
    estimate_min_rows: int = 100
    hypopg: bool = True
    index_min_cost: float = 100.0
    index_min_saving: float = 0.5
    # pg_stat_statements (hot-query, slow-query, top-query)
    slow_query_calls: int = 100
    slow_query_mean: float = 0.020  # seconds
    top_queries: int = 5
    # health
    unused_index_max_scans: int = 0
    unused_index_min_size: int = 1 * MB
    sequence_threshold: float = 0.9
    xid_remaining: int = 1_500_000_000
    table_bloat_ratio: float = 0.5
    table_bloat_min_size: int = 20 * MB
    cache_hit_ratio: float = 0.99
    cache_hit_min_blocks: int = 10_000
    long_running: float = 60.0  # seconds
    idle_in_transaction: float = 60.0


_KINDS = {
    "statement_timeout": "duration", "lock_timeout": "duration", "connect_timeout": "duration",
    "analyze": "bool", "hypopg": "bool",
    "large_table_size": "size", "unused_index_min_size": "size", "table_bloat_min_size": "size",
    "scan_rate": "rate", "rewrite_rate": "rate",
    "large_table_rows": "count", "small_table_rows": "count", "seq_scan_rows": "count",
    "nested_loop_rows": "count", "estimate_min_rows": "count", "slow_query_calls": "count",
    "top_queries": "count", "unused_index_max_scans": "count", "xid_remaining": "count",
    "cache_hit_min_blocks": "count",
    "estimate_factor": "factor", "index_min_cost": "number",
    "index_min_saving": "fraction", "sequence_threshold": "fraction", "table_bloat_ratio": "fraction",
    "cache_hit_ratio": "fraction",
    "slow_query_mean": "duration", "long_running": "duration", "idle_in_transaction": "duration",
}

_SIZE_UNITS = {"": 1, "b": 1, "kb": KB, "mb": MB, "gb": GB, "tb": 1024 * GB}
_TIME_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def key_name(attr: str) -> str:
    return attr.replace("_", "-")


def parse_size(value) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        if value < 0:
            raise ValueError
        return value
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?[bB]?)\s*", str(value))
    if not m:
        raise ValueError
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])


def parse_duration(value) -> float:
    """Seconds; a bare number is milliseconds (PostgreSQL's unit for timeouts)."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError
        return value / 1000.0
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(us|ms|s|sec|min|h|d)\s*", str(value))
    if not m:
        raise ValueError
    return float(m.group(1)) * _TIME_UNITS[m.group(2)]


def parse_rate(value) -> int:
    if isinstance(value, str):
        value = re.sub(r"\s*/\s*s(ec)?\s*$", "", value)
    r = parse_size(value)
    if r <= 0:
        raise ValueError
    return r


_EXPECT = {
    "duration": 'a duration such as "5s", "250ms" or "2min"',
    "size": 'a size such as "1GB", "500MB" or a number of bytes',
    "rate": 'a rate such as "200MB/s"',
    "count": "a non-negative integer",
    "bool": "true or false",
    "factor": "a number >= 1",
    "number": "a non-negative number",
    "fraction": "a number between 0 and 1 (e.g. 0.9 for 90%)",
}


def _convert(kind: str, value):
    if kind == "duration":
        return parse_duration(value)
    if kind == "size":
        return parse_size(value)
    if kind == "rate":
        return parse_rate(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError
    v = float(value)
    if kind == "factor" and v < 1:
        raise ValueError
    if kind == "number" and v < 0:
        raise ValueError
    if kind == "fraction" and not 0 <= v <= 1:
        raise ValueError
    return v


def live_config(table: dict | None, source: str | None = None) -> LiveConfig:
    """Validate a ``[tool.pglint.live]`` table (None or {} gives the defaults)."""
    where = f"{source}: " if source else ""
    if not table:
        return LiveConfig()
    if not isinstance(table, dict):
        raise ConfigError(f"{where}[tool.pglint.live] must be a table")
    known = {key_name(f.name): f.name for f in fields(LiveConfig)}
    values = {}
    for key, value in table.items():
        attr = known.get(key)
        if attr is None:
            near = difflib.get_close_matches(key, list(known), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise ConfigError(f"{where}unknown key '{key}' in [tool.pglint.live]{hint}")
        kind = _KINDS[attr]
        try:
            values[attr] = _convert(kind, value)
        except (ValueError, TypeError, KeyError):
            raise ConfigError(f"{where}[tool.pglint.live] '{key}' must be {_EXPECT[kind]}, not {value!r}") from None
    cfg = LiveConfig(**values)
    if cfg.statement_timeout <= 0:
        raise ConfigError(f"{where}[tool.pglint.live] 'statement-timeout' must be more than 0 (0 would disable it)")
    if cfg.lock_timeout <= 0:
        raise ConfigError(f"{where}[tool.pglint.live] 'lock-timeout' must be more than 0 (0 would disable it)")
    return cfg


# -- display helpers (shared by messages) --------------------------------------------

def human_size(n: float | None) -> str:
    if n is None:
        return "unknown size"
    for unit, f in (("TB", 1024 * GB), ("GB", GB), ("MB", MB), ("kB", KB)):
        if n >= f:
            return f"{n / f:.1f} {unit}"
    return f"{int(n)} bytes"


def human_count(n: float | None) -> str:
    if n is None:
        return "an unknown number of"
    n = float(n)
    if n >= 1e9:
        return f"{n / 1e9:.1f}G"
    if n >= 1e6:
        return f"{n / 1e6:.1f}M"
    if n >= 1e4:
        return f"{n / 1e3:.0f}k"
    return f"{int(round(n)):,}"


def human_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def ms(seconds: float) -> int:
    """A duration as whole milliseconds (at least 1), for SET LOCAL ... = <int>."""
    return max(1, int(round(seconds * 1000)))

"""Settings: defaults < nearest pyproject.toml [tool.pglint] / pglint.toml < command-line flags.

Keys mirror the flags. An unknown key or a bad value is an error that names the key
(exit code 2); a typo in a config file must never silently turn a check off.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ..engine.diagnostics import SEVERITIES

DEFAULT_PG_VERSION = (15,)


class ConfigError(Exception):
    """A configuration problem: reported with exit code 2."""


def parse_pg_version(value) -> tuple[int, ...]:
    """'11', '11.0', '15.4', 9.6, 16 -> a comparable tuple."""
    s = str(value).strip()
    if not re.fullmatch(r"\d+(?:\.\d+){0,2}", s):
        raise ConfigError(f"invalid PostgreSQL version {value!r} (expected e.g. 15, 15.4 or 9.6)")
    parts = tuple(int(p) for p in s.split("."))
    if parts[0] < 9 or parts[0] > 30:
        raise ConfigError(f"unsupported PostgreSQL version {value!r}")
    return parts


def version_text(v: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in v)


@dataclass
class Settings:
    pg_version: tuple[int, ...] = DEFAULT_PG_VERSION
    # None ("auto"): as each file's migration tool runs it (source/tool_transactions.py);
    # True / False: every file runs in a transaction / statement by statement
    assume_in_transaction: bool | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=lambda: ["*.sql"])
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    placeholders: list[str] = field(default_factory=list)
    # settings the migration runner applies to every session (e.g. via ALTER ROLE)
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    squawk_compat: bool = False
    timezone_utc: bool = False
    baseline: str | None = None
    fix_lock_timeout: str = "2s"  # [tool.pglint.fix] lock-timeout: what the lock-timeout-missing fix sets
    fix_statement_timeout: str = "5min"  # [fix] statement-timeout: what the statement-timeout-missing fix sets
    jobs: int = 0  # 0: one per CPU
    cache: bool = True
    cache_dir: str | None = None
    # where the config came from (for relative paths and messages)
    config_path: str | None = None
    root: str = "."

    def with_overrides(self, **kw) -> "Settings":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    # -- per-file --------------------------------------------------------------
    def relative(self, path: str) -> str:
        try:
            return os.path.relpath(os.path.abspath(path), os.path.abspath(self.root)).replace(os.sep, "/")
        except ValueError:
            return path.replace(os.sep, "/")

    def is_excluded(self, path: str) -> bool:
        rel = self.relative(path)
        return any(_glob_match(rel, g) for g in self.exclude)

    def ignored_for(self, path: str) -> set[str]:
        rel = self.relative(path)
        out: set[str] = set()
        for g, rules in self.per_file_ignores.items():
            if _glob_match(rel, g):
                out.update(rules)
        return out


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.replace(os.sep, "/")
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    # a pattern without a slash matches the file name or any directory prefix
    if "/" not in pattern.rstrip("/"):
        parts = rel.split("/")
        return any(fnmatch.fnmatchcase(p, pattern.rstrip("/")) for p in parts)
    if pattern.endswith("/") or pattern.endswith("/**"):
        base = pattern.rstrip("*").rstrip("/")
        return rel == base or rel.startswith(base + "/")
    return fnmatch.fnmatchcase(rel, pattern.rstrip("/") + "/*")


# -- config files --------------------------------------------------------------------

_KEYS = {
    "pg-version": "pg_version",
    "assume-in-transaction": "assume_in_transaction",
    "select": "select",
    "ignore": "ignore",
    "extend-select": "extend_select",
    "exclude": "exclude",
    "include": "include",
    "per-file-ignores": "per_file_ignores",
    "severity": "severity",
    "placeholders": "placeholders",
    "lock-timeout": "lock_timeout",
    "statement-timeout": "statement_timeout",
    "squawk-compat": "squawk_compat",
    "timezone-utc": "timezone_utc",
    "baseline": "baseline",
    "jobs": "jobs",
    "cache": "cache",
    "cache-dir": "cache_dir",
}
# keys other components read from the same table (live mode, trace, fix)
EXTRA_TABLES = ("live", "trace", "fix", "rules")


def find_config(start: str | os.PathLike = ".") -> Path | None:
    """Nearest pglint.toml, or pyproject.toml with a [tool.pglint] table, walking up."""
    d = Path(start).resolve()
    if d.is_file():
        d = d.parent
    while True:
        p = d / "pglint.toml"
        if p.is_file():
            return p
        pp = d / "pyproject.toml"
        if pp.is_file():
            try:
                data = _read_toml(pp)
            except ConfigError:
                return pp  # report the broken file rather than skipping it
            if "pglint" in data.get("tool", {}):
                return pp
        if d.parent == d:
            return None
        d = d.parent


def _read_toml(path: Path) -> dict:
    import tomllib

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_table(path: Path) -> dict:
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        return data.get("tool", {}).get("pglint", {})
    return data


def _str_list(key: str, v) -> list[str]:
    if isinstance(v, str):
        return [p.strip() for p in v.split(",") if p.strip()]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v)
    raise ConfigError(f"'{key}' must be a list of strings")


def settings_from_table(table: dict, source: str, root: str) -> tuple[Settings, dict]:
    """Validate a [tool.pglint] table; returns the settings and the extra sub-tables."""
    s = Settings(config_path=source, root=root)
    extras = {}
    for key, value in table.items():
        if key in EXTRA_TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: '{key}' must be a table")
            extras[key] = value
            if key == "fix":
                _fix_table(s, value, source)
            continue
        attr = _KEYS.get(key)
        if attr is None:
            near = difflib.get_close_matches(key, list(_KEYS) + list(EXTRA_TABLES), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise ConfigError(f"{source}: unknown key '{key}'{hint}")
        try:
            setattr(s, attr, _convert(key, attr, value, root))
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return s, extras


_FIX_KEYS = {"lock-timeout": "fix_lock_timeout", "statement-timeout": "fix_statement_timeout"}


def _fix_table(s: Settings, table: dict, source: str) -> None:
    for k, v in table.items():
        if k not in _FIX_KEYS:
            raise ConfigError(f"{source}: unknown key 'fix.{k}' (known: {', '.join(_FIX_KEYS)})")
        if not isinstance(v, str) or not re.fullmatch(r"\d+\s*(ms|s|min|h)?", v.strip()):
            raise ConfigError(f"{source}: 'fix.{k}' must be a duration such as \"2s\" or \"500ms\"")
        setattr(s, _FIX_KEYS[k], v.strip())


def _convert(key: str, attr: str, value, root: str):
    if attr == "pg_version":
        return parse_pg_version(value)
    if attr == "assume_in_transaction":
        if value == "auto":
            return None
        if not isinstance(value, bool):
            raise ConfigError(f"'{key}' must be true, false or \"auto\"")
        return value
    if attr in ("squawk_compat", "timezone_utc", "cache"):
        if not isinstance(value, bool):
            raise ConfigError(f"'{key}' must be true or false")
        return value
    if attr in ("select", "ignore", "extend_select", "exclude", "include", "placeholders"):
        v = _str_list(key, value)
        if attr == "placeholders":
            for p in v:
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ConfigError(f"'{key}': invalid regular expression {p!r}: {exc}") from None
        return v
    if attr == "per_file_ignores":
        if not isinstance(value, dict):
            raise ConfigError(f"'{key}' must be a table of glob = [rules]")
        return {g: _str_list(f"{key}.{g}", r) for g, r in value.items()}
    if attr == "severity":
        if not isinstance(value, dict):
            raise ConfigError(f"'{key}' must be a table of rule = \"error\" | \"warning\" | \"info\"")
        for r, lvl in value.items():
            if lvl not in SEVERITIES:
                raise ConfigError(f"'{key}.{r}' must be one of {', '.join(SEVERITIES)}, not {lvl!r}")
        return dict(value)
    if attr in ("lock_timeout", "statement_timeout"):
        if not isinstance(value, (str, int)):
            raise ConfigError(f"'{key}' must be a duration such as \"2s\"")
        return str(value)
    if attr in ("baseline", "cache_dir"):
        if not isinstance(value, str):
            raise ConfigError(f"'{key}' must be a path")
        return value if os.path.isabs(value) else os.path.join(root, value)
    if attr == "jobs":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"'{key}' must be a non-negative integer")
        return value
    raise ConfigError(f"unsupported key '{key}'")  # pragma: no cover


def load_settings(config: str | None = None, isolated: bool = False, start: str = ".") -> tuple[Settings, dict]:
    """Settings from the config file (explicit, or the nearest one)."""
    if isolated:
        return Settings(root=os.path.abspath(start)), {}
    path = Path(config) if config else find_config(start)
    if path is None:
        return Settings(root=os.path.abspath(start)), {}
    if not path.is_file():
        raise ConfigError(f"config file {path} not found")
    table = load_table(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.pglint] must be a table")
    return settings_from_table(table, str(path), str(path.parent.resolve()))


def settings_fields() -> list[str]:
    return [f.name for f in fields(Settings)]

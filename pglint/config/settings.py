"""Settings: defaults < nearest pyproject.toml [tool.pglint] / pglint.toml < command-line flags.

Keys mirror the flags. An unknown key or a bad value is an error that names the key
(exit code 2); a typo in a config file must never silently turn a check off.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_PG_VERSION = (15,)
ROLLBACK_POLICIES = ("lint", "locks-only", "skip")


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
    # lint the SQL inside Python code (*.py files walked in directories too)
    python: bool = False
    # more calls that send SQL, as dotted names ("mydb.run", "run_query")
    python_sinks: list[str] = field(default_factory=list)
    # settings the migration runner applies to every session (e.g. via ALTER ROLE)
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    squawk_compat: bool = False  # the older key: the same as "squawk" in compat
    # other tools whose suppression comments pglint honours: "squawk", "atlas"
    compat: list[str] = field(default_factory=list)
    # findings in rollback files and down sections: "lint" (compatibility findings are
    # informational), "locks-only" (only locking findings) or "skip" (none)
    rollbacks: str = "lint"
    timezone_utc: bool = False
    baseline: str | None = None
    fix_lock_timeout: str = "2s"  # [tool.pglint.fix] lock-timeout: what the lock-timeout-missing fix sets
    fix_statement_timeout: str = "5min"  # [fix] statement-timeout: what the statement-timeout-missing fix sets
    jobs: int = 0  # 0: one per CPU
    # full output: above this many lines of the finding-by-finding report, print the
    # summary-first layout instead (None, from `false`: never)
    summary_first_threshold: int | None = 500
    cache: bool = True
    cache_dir: str | None = None
    # where the rule pages are: a URL (or a directory) that links are made from; None: the
    # pages shipped in the package (pglint.docs.rule_url)
    docs_url: str | None = None
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

COMPAT_TOOLS = ("squawk", "atlas")  # compat = [...]: whose suppression comments are honoured


def compat_tools(settings) -> frozenset:
    """The tools whose suppression comments are honoured (compat, and squawk-compat = true)."""
    tools = set(settings.compat)
    if settings.squawk_compat:
        tools.add("squawk")
    return frozenset(tools)


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
    "python": "python",
    "python-sinks": "python_sinks",
    "lock-timeout": "lock_timeout",
    "statement-timeout": "statement_timeout",
    "squawk-compat": "squawk_compat",
    "compat": "compat",
    "rollbacks": "rollbacks",
    "timezone-utc": "timezone_utc",
    "baseline": "baseline",
    "jobs": "jobs",
    "summary-first-threshold": "summary_first_threshold",
    "cache": "cache",
    "cache-dir": "cache_dir",
    "docs-url": "docs_url",
}
# sub-tables: [live] (live mode, validated by live/config.py) and [fix]
EXTRA_TABLES = ("live", "fix")
MAX_JOBS = 1024  # --jobs / jobs: worker processes (0: one per CPU)


def find_config(start: str | os.PathLike = ".") -> Path | None:
    """Nearest pglint.toml, or pyproject.toml with a [tool.pglint] table, walking up.
    (The walk uses os.path: pathlib is imported only when there is a file to return.)"""
    d = os.path.realpath(start)
    if os.path.isfile(d):
        d = os.path.dirname(d)
    while True:
        p = os.path.join(d, "pglint.toml")
        if os.path.isfile(p):
            return _path(p)
        pp = os.path.join(d, "pyproject.toml")
        if os.path.isfile(pp):
            try:
                data = _read_toml(pp)
            except ConfigError:
                return _path(pp)  # report the broken file rather than skipping it
            tool = data.get("tool")
            if isinstance(tool, dict) and "pglint" in tool:
                return _path(pp)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _path(p: str) -> Path:
    from pathlib import Path

    return Path(p)


def _read_toml(path: str | os.PathLike) -> dict:
    import tomllib

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); TOML files "
                          "must be UTF-8: save the file as UTF-8") from None
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_table(path: Path) -> dict:
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: 'tool' must be a table")
        return tool.get("pglint", {})
    return data


def _show(value) -> str:
    """A config value as TOML writes it (for messages), cut short."""
    import json

    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bad(key: str, expected: str, value) -> ConfigError:
    return ConfigError(f"'{key}' must be {expected}, not {_show(value)}")


def _str_list(key: str, v, expected: str) -> list[str]:
    """A TOML array of non-empty strings (a bare string is an error: it is not a list)."""
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise _bad(key, expected, v)
    return [x.strip() for x in v]


_SELECTORS = 'a list of rule names, codes or code prefixes such as ["PG1", "table-rewrite"]'


def _selectors(key: str, v) -> list[str]:
    from ..engine.registry import UnknownRule, resolve

    out = _str_list(key, v, _SELECTORS)
    for token in out:
        try:
            resolve(token)
        except UnknownRule as exc:
            raise ConfigError(f"'{key}': {exc}") from None
    return out


# PostgreSQL's time units for lock_timeout and statement_timeout
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)")
_DURATION_TEXT = 'a duration string with a unit, such as "2s", "500ms" or "5min" ("0": no timeout)'


def _duration(key: str, v, allow_zero: bool = True) -> str:
    """A timeout as PostgreSQL reads it, with its unit: a bare number would be milliseconds,
    which nobody means by lock-timeout = 5."""
    expected = _DURATION_TEXT if allow_zero else _DURATION_TEXT.replace(' ("0": no timeout)', "")
    if not isinstance(v, str):
        raise _bad(key, expected, v)
    t = v.strip()
    if allow_zero and t == "0":
        return t
    m = _DURATION.fullmatch(t)
    if not m or (not allow_zero and float(m.group(1)) == 0):
        raise _bad(key, expected, v)
    return t


def settings_from_table(table: dict, source: str, root: str) -> tuple[Settings, dict]:
    """Validate a [tool.pglint] table; returns the settings and the extra sub-tables."""
    s = Settings(config_path=source, root=root)
    extras = {}
    for key, value in table.items():
        if key in EXTRA_TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: '{key}' must be a table, not {_show(value)}")
            extras[key] = value
            if key == "fix":
                _fix_table(s, value, source)
            elif key == "live":
                from ..live.config import live_config

                live_config(value, source)  # every command validates it, not only the live ones
            continue
        attr = _KEYS.get(key)
        if attr is None:
            import difflib

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
        try:
            setattr(s, _FIX_KEYS[k], _duration(f"fix.{k}", v, allow_zero=False))
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None


def _convert(key: str, attr: str, value, root: str):
    if attr == "pg_version":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _bad(key, "a PostgreSQL version such as 15, \"15.4\" or 9.6", value)
        try:
            return parse_pg_version(value)
        except ConfigError as exc:
            raise ConfigError(f"'{key}': {exc}") from None
    if attr == "assume_in_transaction":
        if value == "auto":
            return None
        if not isinstance(value, bool):
            raise _bad(key, 'true, false or "auto"', value)
        return value
    if attr == "rollbacks":
        if value not in ROLLBACK_POLICIES:
            raise _bad(key, "one of " + ", ".join(f'"{p}"' for p in ROLLBACK_POLICIES), value)
        return value
    if attr == "python_sinks":
        v = _str_list(key, value, 'a list of dotted call names such as ["mydb.run", "run_query"]')
        bad = [x for x in v if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", x.strip())]
        if bad:
            raise ConfigError(f"'{key}': {bad[0]!r} is not a dotted name such as \"mydb.run\"")
        return [x.strip() for x in v]
    if attr in ("squawk_compat", "timezone_utc", "cache", "python"):
        if not isinstance(value, bool):
            raise _bad(key, "true or false", value)
        return value
    if attr == "compat":
        v = _str_list(key, value, 'a list of tools such as ["squawk", "atlas"]')
        bad = [t for t in v if t not in COMPAT_TOOLS]
        if bad:
            raise ConfigError(f"'{key}': unknown tool {bad[0]!r} (known: {', '.join(COMPAT_TOOLS)})")
        return list(dict.fromkeys(v))
    if attr in ("select", "ignore", "extend_select"):
        return _selectors(key, value)
    if attr in ("exclude", "include"):
        return _str_list(key, value, 'a list of glob patterns such as ["db/seeds/**"]')
    if attr == "placeholders":
        v = _str_list(key, value, "a list of regular expressions such as ['<<[a-z_]+>>']")
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ConfigError(f"'{key}': invalid regular expression {p!r}: {exc}") from None
        return v
    if attr == "per_file_ignores":
        if not isinstance(value, dict):
            raise _bad(key, 'a table of glob = [rules], such as { "db/legacy/*.sql" = ["PG1"] }', value)
        return {g: _selectors(f"{key}.{g}", r) for g, r in value.items()}
    if attr == "severity":
        if not isinstance(value, dict):
            raise _bad(key, 'a table of rule = "error" | "warning" | "info"', value)
        import difflib

        from ..engine.diagnostics import SEVERITIES
        from ..engine.registry import UnknownRule, all_rules, by_code

        rules, codes = all_rules(), by_code()
        out = {}
        for r, lvl in value.items():
            if lvl not in SEVERITIES:
                raise _bad(f"{key}.{r}", f"one of {', '.join(SEVERITIES)}", lvl)
            rule = rules.get(r) or codes.get(r.upper())
            if rule is None:  # severity is looked up by rule name: anything else would do nothing
                near = difflib.get_close_matches(r, list(rules) + list(codes), n=3, cutoff=0.5)
                raise ConfigError(f"'{key}': {UnknownRule(r, near)} (a rule name or code)")
            out[rule.name] = lvl
        return out
    if attr in ("lock_timeout", "statement_timeout"):
        return _duration(key, value)
    if attr in ("baseline", "cache_dir"):
        if not isinstance(value, str) or not value.strip():
            raise _bad(key, "a path (a string)", value)
        return value if os.path.isabs(value) else os.path.join(root, value)
    if attr == "docs_url":
        if not isinstance(value, str) or not value.strip():
            raise _bad(key, 'a URL such as "https://docs.example.org/pglint/rules" (a string)', value)
        value = value.strip()
        if "://" in value:
            return value
        # a directory: relative to the config file, as a file:// URI
        from pathlib import Path

        return Path(value if os.path.isabs(value) else os.path.join(root, value)).resolve().as_uri()
    if attr == "jobs":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_JOBS:
            raise _bad(key, f"a number of worker processes from 0 (one per CPU) to {MAX_JOBS}", value)
        return value
    if attr == "summary_first_threshold":
        if value is False:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _bad(key, "a number of lines (0: always summary first) or false (never)", value)
        return value
    raise ConfigError(f"unsupported key '{key}'")  # pragma: no cover


def load_settings(config: str | None = None, isolated: bool = False, start: str = ".") -> tuple[Settings, dict]:
    """Settings from the config file (explicit, or the nearest one)."""
    if isolated:
        return Settings(root=os.path.abspath(start)), {}
    path = _path(config) if config else find_config(start)
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

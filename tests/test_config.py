"""Configuration discovery, validation and precedence."""

import re

import pytest

from pglint.config.settings import ConfigError, find_config, load_settings, parse_pg_version


def test_pg_version_forms():
    assert parse_pg_version("11") == (11,)
    assert parse_pg_version("11.0") == (11, 0)
    assert parse_pg_version(15.4) == (15, 4)
    assert parse_pg_version("9.6") < (10,)
    for bad in ("x", "15.a", "3", ""):
        with pytest.raises(ConfigError):
            parse_pg_version(bad)


def test_nearest_config_wins_and_pyproject_needs_the_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\npg-version = 12\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config(sub) == tmp_path / "pyproject.toml"
    (tmp_path / "a" / "pglint.toml").write_text("pg-version = 13\n")
    assert find_config(sub) == tmp_path / "a" / "pglint.toml"
    s, _ = load_settings(start=str(sub))
    assert s.pg_version == (13,)


def test_unknown_key_names_it_and_suggests(tmp_path):
    (tmp_path / "pglint.toml").write_text("pg_version = 12\n")
    with pytest.raises(ConfigError, match="unknown key 'pg_version'.*did you mean 'pg-version'"):
        load_settings(start=str(tmp_path))


@pytest.mark.parametrize("body,match", [
    ("assume-in-transaction = 'yes'", 'true, false or "auto"'),
    ("severity = { x = 'fatal' }", "must be one of"),
    ("select = 3", "must be a list of rule names"),
    ("placeholders = ['(']", "invalid regular expression"),
    ("pg-version = 'fifteen'", "invalid PostgreSQL version"),
    ("this is not toml", "invalid TOML"),
])
def test_bad_values_are_errors(tmp_path, body, match):
    (tmp_path / "pglint.toml").write_text(body + "\n")
    with pytest.raises(ConfigError, match=match):
        load_settings(start=str(tmp_path))


def test_exclude_and_per_file_ignores_are_relative_to_the_config(tmp_path):
    (tmp_path / "pglint.toml").write_text(
        'exclude = ["legacy/**"]\nper-file-ignores = { "migrations/*.sql" = ["PG113"] }\n')
    s, _ = load_settings(start=str(tmp_path))
    assert s.is_excluded(str(tmp_path / "legacy" / "x.sql"))
    assert not s.is_excluded(str(tmp_path / "migrations" / "x.sql"))
    assert s.ignored_for(str(tmp_path / "migrations" / "x.sql")) == {"PG113"}


# -- every key: a value of the wrong type or out of range is an error naming the key, the value
# and what is expected (they used to be accepted: select = "PG1" as a comma list, lock-timeout = 5
# as "5", i.e. 5 ms, jobs = 99999999, severity for a rule code that matched nothing)

BAD_VALUES = [
    ("pg-version", "true", "'pg-version' must be a PostgreSQL version such as 15", "not true"),
    ("pg-version", "[15]", "'pg-version' must be a PostgreSQL version", "not [15]"),
    ("assume-in-transaction", "'yes'", 'true, false or "auto"', 'not "yes"'),
    ("select", '"PG1"', "'select' must be a list of rule names, codes or code prefixes", 'not "PG1"'),
    ("select", '["PG1", 2]', "'select' must be a list of rule names", 'not ["PG1", 2]'),
    ("select", '["PG1", "no-such-rule"]', "'select': unknown rule 'no-such-rule'", ""),
    ("ignore", '"table-rewrite"', "'ignore' must be a list of rule names", 'not "table-rewrite"'),
    ("ignore", '["tabel-rewrite"]', "'ignore': unknown rule 'tabel-rewrite'; did you mean table-rewrite", ""),
    ("extend-select", '"varchar-length"', "'extend-select' must be a list of rule names", 'not "varchar-length"'),
    ("exclude", '"db/**"', "'exclude' must be a list of glob patterns", 'not "db/**"'),
    ("include", '["*.sql", ""]', "'include' must be a list of glob patterns", 'not ["*.sql", ""]'),
    ("per-file-ignores", '["x"]', "'per-file-ignores' must be a table of glob = [rules]", 'not ["x"]'),
    ("per-file-ignores", '{ "db/*.sql" = "PG1" }', "'per-file-ignores.db/*.sql' must be a list of rule names", 'not "PG1"'),
    ("per-file-ignores", '{ "db/*.sql" = ["PG1x"] }', "'per-file-ignores.db/*.sql': unknown rule 'PG1x'", ""),
    ("severity", '"error"', "'severity' must be a table of rule", 'not "error"'),
    ("severity", "{ table-rewrite = 'fatal' }", "'severity.table-rewrite' must be one of error, warning, info", 'not "fatal"'),
    ("severity", "{ tabel-rewrite = 'error' }", "'severity': unknown rule 'tabel-rewrite'", ""),
    ("placeholders", "'<<x>>'", "'placeholders' must be a list of regular expressions", 'not "<<x>>"'),
    ("placeholders", "['(']", "invalid regular expression", ""),
    ("lock-timeout", "5", "'lock-timeout' must be a duration string with a unit, such as \"2s\"", "not 5"),
    ("lock-timeout", '"5"', "'lock-timeout' must be a duration string with a unit", 'not "5"'),
    ("lock-timeout", '"2 seconds"', "'lock-timeout' must be a duration string", 'not "2 seconds"'),
    ("statement-timeout", "300", "'statement-timeout' must be a duration string with a unit", "not 300"),
    ("squawk-compat", '"yes"', "'squawk-compat' must be true or false", 'not "yes"'),
    ("rollbacks", '"all"', "'rollbacks' must be one of \"lint\", \"locks-only\", \"skip\"", 'not "all"'),
    ("rollbacks", "false", "'rollbacks' must be one of", "not false"),
    ("compat", '"atlas"', "'compat' must be a list of tools such as [\"squawk\", \"atlas\"]", 'not "atlas"'),
    ("compat", '["flyway"]', "'compat': unknown tool 'flyway' (known: squawk, atlas)", ""),
    ("timezone-utc", "1", "'timezone-utc' must be true or false", "not 1"),
    ("baseline", "true", "'baseline' must be a path", "not true"),
    ("jobs", "99999999", "'jobs' must be a number of worker processes from 0 (one per CPU) to 1024", "not 99999999"),
    ("jobs", "-1", "'jobs' must be a number of worker processes", "not -1"),
    ("jobs", '"4"', "'jobs' must be a number of worker processes", 'not "4"'),
    ("cache", '"off"', "'cache' must be true or false", 'not "off"'),
    ("cache-dir", '""', "'cache-dir' must be a path", 'not ""'),
    ("python", '"yes"', "'python' must be true or false", 'not "yes"'),
    ("python-sinks", '"mydb.run"', "'python-sinks' must be a list of dotted call names", 'not "mydb.run"'),
    ("python-sinks", '["mydb run"]', "'python-sinks': 'mydb run' is not a dotted name", ""),
    ("docs-url", "3", "'docs-url' must be a URL such as", "not 3"),
    ("summary-first-threshold", "-1", "'summary-first-threshold' must be a number of lines", "not -1"),
]


@pytest.mark.parametrize("key,value,expected,shown", BAD_VALUES, ids=[f"{k}={v}" for k, v, _, _ in BAD_VALUES])
def test_every_key_rejects_a_bad_value(tmp_path, key, value, expected, shown):
    (tmp_path / "pglint.toml").write_text(f"{key} = {value}\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(start=str(tmp_path))
    msg = str(exc.value)
    assert msg.startswith(str(tmp_path / "pglint.toml") + ": ") and expected in msg and shown in msg, msg


def test_the_bad_value_cases_cover_every_key():
    from pglint.config.settings import _KEYS

    assert {k for k, *_ in BAD_VALUES} == set(_KEYS)


@pytest.mark.parametrize("body,match", [
    ('[fix]\nlock-timeout = 2', "'fix.lock-timeout' must be a duration string with a unit"),
    ('[fix]\nstatement-timeout = "0"', "'fix.statement-timeout' must be a duration string"),
    ('[fix]\nlock_timeout = "2s"', "unknown key 'fix.lock_timeout'"),
    ('fix = "2s"', "'fix' must be a table, not \"2s\""),
    ('[live]\nhypopg = 1', "[tool.pglint.live] 'hypopg' must be true or false, not 1"),  # validated for every command
    ('[trace]\nseed-rows = 5', "unknown key 'trace'"),  # no such table: it used to be accepted and ignored
    ('[rules]\nx = 1', "unknown key 'rules'"),
])
def test_sub_tables_are_validated(tmp_path, body, match):
    (tmp_path / "pglint.toml").write_text(body + "\n")
    with pytest.raises(ConfigError, match=re.escape(match)):
        load_settings(start=str(tmp_path))


def test_good_values_of_every_key(tmp_path):
    (tmp_path / "pglint.toml").write_text(
        'pg-version = "14.2"\nassume-in-transaction = "auto"\nselect = ["PG1", "table-rewrite"]\nignore = []\n'
        'extend-select = ["varchar-length"]\nexclude = ["a/**"]\ninclude = ["*.sql", "*.pgsql"]\n'
        'per-file-ignores = { "a/*.sql" = ["PG101"] }\nseverity = { PG101 = "error", table-rewrite = "info" }\n'
        "placeholders = ['<<[a-z]+>>']\nlock-timeout = \"1.5s\"\nstatement-timeout = \"0\"\nsquawk-compat = true\n"
        'compat = ["atlas"]\n'
        'timezone-utc = false\nbaseline = "db/structure.sql"\njobs = 1024\ncache = false\ncache-dir = "/tmp/c"\n'
        '[fix]\nlock-timeout = "3s"\nstatement-timeout = "10min"\n[live]\nlock-timeout = 300\n')
    s, extras = load_settings(start=str(tmp_path))
    assert s.pg_version == (14, 2) and s.assume_in_transaction is None and s.select == ["PG1", "table-rewrite"]
    assert s.severity == {"index-not-concurrent": "error", "table-rewrite": "info"}  # a code means its rule
    assert s.lock_timeout == "1.5s" and s.statement_timeout == "0" and s.jobs == 1024 and s.cache is False
    assert s.baseline == str(tmp_path / "db" / "structure.sql") and s.fix_lock_timeout == "3s"
    assert extras["live"] == {"lock-timeout": 300}  # [live] keeps its own units (a number is milliseconds)
    from pglint.config.settings import compat_tools

    assert s.compat == ["atlas"] and compat_tools(s) == {"squawk", "atlas"}  # the old key still counts


@pytest.mark.parametrize("name,text", [
    ("pyproject.toml", b"[tool.pglint]\nselect = [\"PG1\"]\n# caf\xe9\n"),
    ("pglint.toml", b"select = [\"PG1\"]  # caf\xe9\n"),
])
def test_a_config_file_that_is_not_utf8_names_the_file(tmp_path, pglint_exe, name, text):
    import subprocess

    (tmp_path / name).write_bytes(text)
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    p = subprocess.run([pglint_exe, "a.sql"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    assert "internal error" not in p.stderr and "Traceback" not in p.stderr
    line = 3 if name == "pyproject.toml" else 1
    assert f"{tmp_path / name}: not UTF-8 text (byte 0xe9 on line {line})" in p.stderr, p.stderr


def test_a_pyproject_whose_tool_is_not_a_table(tmp_path, pglint_exe):
    import subprocess

    (tmp_path / "pyproject.toml").write_text('tool = "pglint"\n')
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    p = subprocess.run([pglint_exe, "--config", "pyproject.toml", "a.sql"], cwd=tmp_path, capture_output=True,
                       text=True)
    assert p.returncode == 2 and "'tool' must be a table" in p.stderr and "internal error" not in p.stderr, p.stderr
    p = subprocess.run([pglint_exe, "a.sql"], cwd=tmp_path, capture_output=True, text=True)  # not a pglint config
    assert p.returncode == 0, p.stderr


def test_readme_configuration_example_is_valid_and_shows_every_key(tmp_path):
    import tomllib

    from conftest import ROOT
    from pglint.config.settings import _FIX_KEYS, _KEYS, settings_from_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration\n"):readme.index("## Suppressions\n")]
    block = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    table = tomllib.loads(block)["tool"]["pglint"]
    assert set(table) - {"fix", "live"} == set(_KEYS) and set(table["fix"]) == set(_FIX_KEYS)
    settings_from_table(table, "README.md", str(tmp_path))

"""Configuration discovery, validation and precedence."""

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
    ("select = 3", "list of strings"),
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

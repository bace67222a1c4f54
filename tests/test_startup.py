"""Start-up (issue 17): a run imports what it uses, when it uses it.

Each test runs pglint in a fresh interpreter and reads ``sys.modules`` after the command:
``-X importtime`` would miss the rule modules, which are imported by
``importlib.import_module``. What each import costs is measured, not asserted: these
tests say *what* is imported, never how fast."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

# After the command, the names of every imported module, as JSON on the last line.
# (json is imported after the command: the harness must not hide what pglint imports)
_RUN = ("import contextlib, io, sys\n"
        "from pglint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    rc = main(sys.argv[1:])\n"
        "modules = sorted(sys.modules)\n"
        "import json\n"
        "print(json.dumps([rc, modules]))\n")

SMALL_MIGRATION = ("ALTER TABLE users ADD COLUMN age integer;\n"
                   "CREATE INDEX idx_users_age ON users (age);\n")

# What a lint of one small file with --format json --isolated --no-cache has no use for:
# the libraries of other formats and commands, standard modules only some runs need,
# pglint's other modes, and the other commands and formats.
OTHER_LIBRARIES = ("rich", "sqlglot", "jinja2", "markdown_it", "pygls", "lsprotocol", "psycopg")
SOMETIMES_NEEDED = (
    "pathlib",  # config files: only when one is found or named (--isolated: never)
    "tomllib", "difflib", "pkgutil", "multiprocessing", "concurrent", "subprocess", "sqlite3", "pickle",
    "urllib", "getpass", "signal",
)
OTHER_MODES = ("pglint.live.config", "pglint.live.check", "pglint.live.session", "pglint.trace", "pglint.lsp",
               "pglint.python", "pglint.docs", "pglint.engine.cache", "pglint.engine.fixes",
               "pglint.engine.baseline", "pglint.cli.fix", "pglint.cli.history")
OTHER_COMMANDS_AND_FORMATS = (
    "pglint.cli.health", "pglint.cli.rules_cmd", "pglint.cli.server_cmd", "pglint.cli.trace_cmd",
    "pglint.reporters.full", "pglint.reporters.concise", "pglint.reporters.sarif", "pglint.reporters.html",
    "pglint.reporters.junit", "pglint.reporters.gitlab", "pglint.reporters.github",
)
NOT_FOR_A_SMALL_FILE = OTHER_LIBRARIES + SOMETIMES_NEEDED + OTHER_MODES + OTHER_COMMANDS_AND_FORMATS

# `pglint --version` and `pglint --help` read no configuration, parse and lint nothing.
NOT_FOR_VERSION_OR_HELP = OTHER_LIBRARIES + SOMETIMES_NEEDED + OTHER_MODES + (
    "pglast", "pglint.engine", "pglint.source.files", "pglint.source.parsing", "pglint.model", "pglint.rules",
    "pglint.config.settings", "pglint.cli.output", "pglint.reporters.json_format", "dataclasses", "json",
    "hashlib",
)


def imported(*args: str, cwd=ROOT) -> tuple[int, list[str]]:
    p = subprocess.run([sys.executable, "-c", _RUN, *args], cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    rc, modules = json.loads(p.stdout.splitlines()[-1])
    return rc, modules


def loaded(modules: list[str], names) -> list[str]:
    """The modules of ``modules`` that are one of ``names`` or inside one of them."""
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_a_small_file_imports_only_what_its_lint_needs(tmp_path):
    f = tmp_path / "V42__small.sql"
    f.write_text(SMALL_MIGRATION, encoding="utf-8")
    rc, modules = imported("--format", "json", "--isolated", "--no-cache", str(f), cwd=tmp_path)
    assert rc == 1  # it did lint: lock-timeout-missing and index-not-concurrent at least
    assert "pglint.engine.checker" in modules and "pglint.reporters.json_format" in modules
    assert loaded(modules, NOT_FOR_A_SMALL_FILE) == []
    # the rules come from the index (pglint/rules/_index.py): a rule whose handlers take
    # only statement types this file does not hold is never imported
    from pglint.rules._index import RULES

    here = {"AlterTableStmt", "IndexStmt"}
    unconcerned = {f"pglint.rules.{e[10]}" for e in RULES
                   if e[8] and e[11][0] and "*" not in e[11][0] and not e[11][1] and not e[11][2]
                   and not here & set(e[11][0])}
    assert len(unconcerned) > 20
    assert sorted(unconcerned & set(modules)) == []


def test_a_lint_without_a_config_file_reads_no_toml_and_needs_no_pathlib(tmp_path):
    """Looking for pglint.toml / pyproject.toml walks directories with os.path; pathlib
    and tomllib come in only with a file to read."""
    f = tmp_path / "a.sql"
    f.write_text("SELECT 1;\n", encoding="utf-8")
    if any((d / n).is_file() for d in tmp_path.parents for n in ("pglint.toml", "pyproject.toml")):
        pytest.skip("a pglint.toml or pyproject.toml above the temporary directory is read by the walk")
    rc, modules = imported("--format", "json", "--no-cache", str(f), cwd=tmp_path)
    assert rc == 0
    assert loaded(modules, ("pathlib", "tomllib")) == []
    (tmp_path / "pglint.toml").write_text('pg-version = 14\n', encoding="utf-8")
    rc, modules = imported("--format", "json", "--no-cache", str(f), cwd=tmp_path)
    assert rc == 0 and "tomllib" in modules  # the config file is found and read


def test_version_and_help_import_no_parser_engine_or_command(tmp_path):
    rc, modules = imported("--version", cwd=tmp_path)
    assert rc == 0
    assert loaded(modules, NOT_FOR_VERSION_OR_HELP) == []
    assert [m for m in modules if m.startswith("pglint.cli.") and m != "pglint.cli.timing"] == []
    rc, modules = imported("--help", cwd=tmp_path)
    assert rc == 0
    assert loaded(modules, NOT_FOR_VERSION_OR_HELP) == []
    # help lists every command, so their modules are read (their own imports stay lazy)
    assert {"pglint.cli.check", "pglint.cli.trace_cmd", "pglint.cli.server_cmd"} <= set(modules)


def test_each_command_is_found_by_name():
    """Commands are imported when asked for: each name of the table gives its command."""
    import click

    from pglint.cli import COMMANDS, cli

    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        cmd = cli.get_command(ctx, name)
        assert isinstance(cmd, click.Command) and cmd.name == name
    assert cli.get_command(ctx, "no-such-command") is None

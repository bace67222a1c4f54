"""Adversarial files and trees: every input is accounted for, no traceback, documented exit codes."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import pglint_path


def run(*args, cwd=None, unprivileged=False, timeout=600):
    cmd = [pglint_path(), "--format", "json", "--no-cache", *args]
    if unprivileged:  # root without the capabilities that bypass file permissions
        cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *cmd]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    assert "Traceback" not in p.stderr + p.stdout
    assert p.returncode in (0, 1, 2)
    return p


def doc(p):
    return json.loads(p.stdout)


def test_empty_and_comment_only_files(tmp_path):
    (tmp_path / "empty.sql").write_text("")
    (tmp_path / "comments.sql").write_text("-- nothing\n/* at all */\n")
    p = run(str(tmp_path))
    assert p.returncode == 0 and doc(p)["summary"]["files"] == 2 and doc(p)["summary"]["statements"] == 0


@pytest.mark.slow
def test_twenty_megabyte_file_and_five_megabyte_line(tmp_path):
    stmt = "INSERT INTO t (a, b) VALUES (1, 'some text here');\n"
    (tmp_path / "big.sql").write_text(stmt * (20_000_000 // len(stmt)))
    (tmp_path / "line.sql").write_text("SELECT '" + "x" * 5_000_000 + "';")
    p = run(str(tmp_path))
    d = doc(p)
    assert d["summary"]["files"] == 2
    assert d["summary"]["statements"] == 20_000_000 // len(stmt) + 1


def test_deep_nesting_is_a_syntax_error(tmp_path):
    (tmp_path / "deep.sql").write_text("SELECT " + "(" * 20000 + "1" + ")" * 20000 + ";\nCREATE INDEX i ON t (a);\n")
    d = doc(run(str(tmp_path / "deep.sql")))
    assert [x["rule"] for x in d["diagnostics"]][:1] == ["syntax-error"]
    assert "index-not-concurrent" in {x["rule"] for x in d["diagnostics"]}


def test_directory_named_sql_symlink_loop_and_duplicates(tmp_path):
    (tmp_path / "x.sql").mkdir()
    (tmp_path / "x.sql" / "a.sql").write_text("SELECT 1;\n")
    (tmp_path / "loop").mkdir()
    os.symlink(tmp_path / "loop", tmp_path / "loop" / "again")
    (tmp_path / "b.sql").write_text("SELECT 2;\n")
    p = run(str(tmp_path), str(tmp_path / "b.sql"), str(tmp_path / "b.sql"))
    d = doc(p)
    assert d["summary"]["files"] == 2  # x.sql/a.sql and b.sql, each once


def test_missing_path_is_a_usage_error(tmp_path):
    p = subprocess.run([pglint_path(), str(tmp_path / "nope.sql")], capture_output=True, text=True)
    assert p.returncode == 2 and "nope.sql" in p.stderr and "Traceback" not in p.stderr


def test_unreadable_file(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    (d / "ok.sql").write_text("CREATE INDEX i ON t (a);\n")
    (d / "secret.sql").write_text("SELECT 1;\n")
    os.chmod(d / "secret.sql", 0o000)
    if os.geteuid() == 0:
        assert shutil.which("setpriv"), "setpriv (util-linux) is needed to test permissions as root"
    p = run(str(d), str(d / "secret.sql"), unprivileged=os.geteuid() == 0)
    res = doc(p)
    assert res["summary"]["files"] == 2
    reasons = {x["path"].rsplit("/", 1)[-1]: x for x in res["diagnostics"] if x["rule"] == "unreadable-file"}
    assert "permission denied" in reasons["secret.sql"]["message"]


def test_file_vanishing_during_the_run(tmp_path):
    from pglint.config.settings import Settings
    from pglint.engine import runner
    from pglint.source.files import discover

    for i in range(20):
        (tmp_path / f"{i:03d}_m.sql").write_text("SELECT 1;\n")
    inputs = discover([str(tmp_path)])
    os.remove(tmp_path / "005_m.sql")  # discovered, then gone before it is read
    opts = runner.make_options(Settings())
    res = runner.run(runner.plan_units(inputs, Settings()), opts, jobs=2)
    assert len(res.files) == 20
    gone = [f for f in res.files if f.path.endswith("005_m.sql")][0]
    assert gone.unreadable and "disappeared" in gone.unreadable


def test_fifo_named_sql_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.sql")
    (tmp_path / "ok.sql").write_text("SELECT 1;\n")
    res = doc(run(str(tmp_path), timeout=60))
    assert res["summary"]["files"] == 2
    assert [x["message"] for x in res["diagnostics"]] == ["Cannot lint this file: not a regular file"]

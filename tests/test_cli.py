"""The command line, run as a user would (a subprocess of the installed entry point)."""

import json
import subprocess

from conftest import ROOT


def run(exe, *args, input=None, cwd=None):
    p = subprocess.run([exe, *args], input=input, capture_output=True, text=True, cwd=cwd or ROOT)
    assert "Traceback" not in p.stderr + p.stdout
    return p


def test_demo_tree_reports_and_exits_1(pglint_exe):
    p = run(pglint_exe, "fixtures/demo/")
    assert p.returncode == 1
    assert "index-not-concurrent (PG101)" in p.stdout
    assert "help:" in p.stdout and "^^^" in p.stdout
    assert "in 3 of 6 files" in p.stdout


def test_check_subcommand_and_concise_format(pglint_exe):
    p = run(pglint_exe, "check", "--format", "concise", "fixtures/demo/V2__add_email_lookup.sql")
    lines = p.stdout.splitlines()
    assert lines[0].startswith("fixtures/demo/V2__add_email_lookup.sql:3:1: PG101 index-not-concurrent ")


def test_json_format_schema(pglint_exe):
    p = run(pglint_exe, "--format", "json", "fixtures/demo/")
    doc = json.loads(p.stdout)
    assert doc["version"] == 1
    assert set(doc["summary"]) >= {"files", "statements", "diagnostics"}
    assert doc["summary"]["files"] == 6 and doc["summary"]["diagnostics"] == len(doc["diagnostics"])
    d = doc["diagnostics"][0]
    assert set(d) >= {"code", "rule", "severity", "message", "help", "path", "line", "column",
                      "end_line", "end_column", "fix"}
    assert d["path"].startswith("fixtures/demo/")


def test_clean_file_exits_0(pglint_exe, tmp_path):
    f = tmp_path / "ok.sql"
    f.write_text("SELECT 1;\n")
    p = run(pglint_exe, str(f))
    assert p.returncode == 0 and "No problems found in 1 file" in p.stdout


def test_exit_zero(pglint_exe):
    assert run(pglint_exe, "--exit-zero", "fixtures/demo/").returncode == 0


def test_stdin_with_name(pglint_exe):
    p = run(pglint_exe, "--format", "concise", "-", "--stdin-filename", "db/x.sql",
            input="CREATE INDEX i ON t (a);\n")
    assert p.returncode == 1
    assert p.stdout.startswith("db/x.sql:1:1: PG101")


def test_unknown_rule_exits_2_with_suggestion(pglint_exe):
    p = run(pglint_exe, "--select", "index-not-concurent", "fixtures/demo/")
    assert p.returncode == 2
    assert "index-not-concurrent" in p.stderr


def test_missing_path_exits_2(pglint_exe):
    p = run(pglint_exe, "does/not/exist.sql")
    assert p.returncode == 2 and "does/not/exist.sql" in p.stderr


def test_select_and_ignore(pglint_exe):
    p = run(pglint_exe, "--format", "json", "--select", "PG113", "fixtures/demo/")
    assert {d["rule"] for d in json.loads(p.stdout)["diagnostics"]} == {"lock-timeout-missing"}
    p = run(pglint_exe, "--format", "json", "--ignore", "lock-timeout-missing,PG114", "fixtures/demo/")
    rules = {d["rule"] for d in json.loads(p.stdout)["diagnostics"]}
    assert "lock-timeout-missing" not in rules and "statements-after-exclusive-lock" not in rules


def test_pg_version_flag(pglint_exe, tmp_path):
    f = tmp_path / "m.sql"
    f.write_text("SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN a int DEFAULT 0;\n")
    assert run(pglint_exe, str(f)).returncode == 0
    assert run(pglint_exe, "--pg-version", "10", str(f)).returncode == 1
    p = run(pglint_exe, "--pg-version", "ten", str(f))
    assert p.returncode == 2 and "pg-version" in p.stderr


def test_config_file_is_used_and_flags_win(pglint_exe, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\nignore = ['lock-timeout-missing']\n")
    (tmp_path / "m.sql").write_text("ALTER TABLE t ADD COLUMN a int;\n")
    assert run(pglint_exe, "m.sql", cwd=tmp_path).returncode == 0
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\nbogus = 1\n")
    p = run(pglint_exe, "m.sql", cwd=tmp_path)
    assert p.returncode == 2 and "bogus" in p.stderr


def test_rules_and_rule_commands(pglint_exe):
    p = run(pglint_exe, "rules")
    assert p.returncode == 0 and "PG101" in p.stdout and "index-not-concurrent" in p.stdout
    data = json.loads(run(pglint_exe, "rules", "--format", "json").stdout)
    assert {"code", "name", "severity", "default", "summary"} <= set(data[0])
    page = run(pglint_exe, "rule", "PG101")
    assert page.returncode == 0 and page.stdout.startswith("# index-not-concurrent (PG101)")
    assert run(pglint_exe, "rule", "nope").returncode == 2


def test_bad_inputs_give_diagnostics_and_the_run_goes_on(pglint_exe, tmp_path):
    (tmp_path / "good.sql").write_text("CREATE INDEX i ON t (a);\n")
    (tmp_path / "latin1.sql").write_bytes("SELECT 'caf\xe9';\n".encode("latin-1"))
    (tmp_path / "binary.sql").write_bytes(b"\x00\x01\x02")
    (tmp_path / "dir.sql").mkdir()
    (tmp_path / "dir.sql" / "inner.sql").write_text("SELECT 1;\n")
    (tmp_path / "broken.sql").write_text("SELECT FROM WHERE;\nCREATE INDEX j ON t (b);\n")
    p = run(pglint_exe, "--format", "json", str(tmp_path))
    doc = json.loads(p.stdout)
    assert p.returncode == 1
    assert doc["summary"]["files"] == 5
    by_file = {}
    for d in doc["diagnostics"]:
        by_file.setdefault(d["path"].rsplit("/", 1)[-1], set()).add(d["rule"])
    assert by_file["latin1.sql"] == {"unreadable-file"}
    assert by_file["binary.sql"] == {"unreadable-file"}
    assert "index-not-concurrent" in by_file["good.sql"]
    assert by_file["broken.sql"] >= {"syntax-error", "index-not-concurrent"}
    assert "inner.sql" not in by_file

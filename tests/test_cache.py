"""The result cache: a warm run gives the cold run's output, any change that matters
invalidates, a damaged or unwritable cache is never fatal, and the database does not grow
with stale entries."""

import json
import os
import sqlite3
import subprocess

from conftest import pglint_path

V1 = "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);\n"
V2 = "SET lock_timeout = '2s';\nCREATE INDEX users_email ON users (email);\n"


def tree(tmp_path):
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "V1__users.sql").write_text(V1)
    (d / "V2__index.sql").write_text(V2)
    return d


def run(tmp_path, *args):
    p = subprocess.run([pglint_path(), "--format", "json", *args, "migrations"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert "Traceback" not in p.stderr, p.stderr
    doc = json.loads(p.stdout)
    return [(d["path"], d["line"], d["rule"]) for d in doc["diagnostics"]]


def db_rows(tmp_path):
    with sqlite3.connect(tmp_path / ".pglint_cache" / "results.sqlite") as c:
        return c.execute("SELECT key, code, used FROM results_v3").fetchall()


def test_warm_run_reads_the_cache_and_gives_the_same_output(tmp_path):
    tree(tmp_path)
    cold = run(tmp_path)
    assert ("migrations/V2__index.sql", 2, "index-not-concurrent") in cold
    rows = db_rows(tmp_path)
    assert len(rows) == 1  # one unit: the history
    assert run(tmp_path) == cold
    assert db_rows(tmp_path) == rows  # read within a day of its last use: nothing written
    # read more than a day after: its last use moves (entries idle for a month are dropped)
    with sqlite3.connect(tmp_path / ".pglint_cache" / "results.sqlite") as c:
        c.execute("UPDATE results_v3 SET used = used - 2 * 86400")
    aged = db_rows(tmp_path)
    assert run(tmp_path) == cold
    assert db_rows(tmp_path)[0][2] > rows[0][2] > aged[0][2]
    assert run(tmp_path, "--no-cache") == cold


def test_changes_that_matter_invalidate(tmp_path):
    d = tree(tmp_path)
    run(tmp_path)
    # an earlier migration changes what a later one is checked against
    (d / "V1__users.sql").write_text(V1 + "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);\n")
    (d / "V2__index.sql").write_text(V2 + "CREATE INDEX orders_id ON orders (id);\n")
    assert ("migrations/V2__index.sql", 3, "index-not-concurrent") in run(tmp_path)
    # settings
    assert {r for _, _, r in run(tmp_path, "--select", "lock-timeout-missing")} <= {"lock-timeout-missing"}
    assert "index-not-concurrent" in {r for _, _, r in run(tmp_path)}
    # a file added to the history
    (d / "V3__drop.sql").write_text("DROP INDEX orders_id;\n")
    assert ("migrations/V3__drop.sql", 1, "drop-index-not-concurrent") in run(tmp_path)


def test_entries_of_other_code_are_dropped_when_writing(tmp_path):
    d = tree(tmp_path)
    run(tmp_path)
    with sqlite3.connect(tmp_path / ".pglint_cache" / "results.sqlite") as c:
        c.execute("INSERT INTO results_v3 VALUES ('stale-key', 'an older pglint', 1e12, x'00')")
        c.execute("INSERT INTO results_v3 VALUES ('idle-key', (SELECT code FROM results_v3 LIMIT 1), 1.0, x'00')")
    (d / "V2__index.sql").write_text(V2 + "-- changed\n")  # a miss, so the cache is written
    run(tmp_path)
    keys = {k for k, _, _ in db_rows(tmp_path)}
    assert "stale-key" not in keys and "idle-key" not in keys and len(keys) == 2


def test_damaged_or_unwritable_cache_is_not_fatal(tmp_path):
    tree(tmp_path)
    cold = run(tmp_path, "--no-cache")
    assert not (tmp_path / ".pglint_cache").exists()  # --no-cache creates nothing
    (tmp_path / ".pglint_cache").mkdir()
    (tmp_path / ".pglint_cache" / "results.sqlite").write_bytes(b"this is not a database" * 100)
    assert run(tmp_path) == cold
    assert len(db_rows(tmp_path)) == 1  # the damaged file was replaced by a working cache
    assert run(tmp_path) == cold
    # a cache directory that cannot be created (a file is in the way)
    (tmp_path / "pglint.toml").write_text('cache-dir = "blocker/cache"\n')
    (tmp_path / "blocker").write_text("a file, not a directory")
    assert run(tmp_path) == cold


def test_cache_dir_setting(tmp_path):
    tree(tmp_path)
    (tmp_path / "pglint.toml").write_text('cache-dir = "build/pglint"\n')
    run(tmp_path)
    assert os.path.exists(tmp_path / "build" / "pglint" / "results.sqlite")
    assert not (tmp_path / ".pglint_cache").exists()


def test_a_run_answered_from_the_cache_imports_no_parser_model_or_rule(tmp_path):
    """The warm path hashes files, reads results and prints: pglast, sqlglot, the schema
    model, the checker and the rules are never imported (issue 17)."""
    import shutil
    import sys

    from conftest import ROOT

    tree = tmp_path / "migrations"
    shutil.copytree(ROOT / "fixtures" / "demo", tree)
    cache = tmp_path / "cache"
    code = ("import sys; from pglint.cli import main; rc = main(sys.argv[1:]); "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('pglast', 'sqlglot') "
            "or m.startswith(('pglint.rules.', 'pglint.model.schema', 'pglint.engine.checker', "
            "'pglint.source.parsing'))))); sys.exit(0)")
    args = [sys.executable, "-c", code, "--isolated", "--format", "json", "--cache-dir", str(cache),
            "-o", str(tmp_path / "out.json"), str(tree)]
    cold = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
    assert "pglast" in cold and "pglint.engine.checker" in cold  # the first run lints
    first = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    warm = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
    assert [m for m in warm if m != "pglint.rules._index"] == []
    second = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    for doc in (first, second):
        doc["summary"].pop("elapsed"), doc["summary"].pop("timings")
    assert first == second and first["diagnostics"]

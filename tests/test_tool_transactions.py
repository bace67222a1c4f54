"""How each migration tool runs a file (in a transaction, as one query string, statement by
statement), and what the transaction rules make of it. The one-query-string model is checked
against PostgreSQL itself: psql -c sends its argument as one simple query, as golang-migrate
and Prisma Migrate do."""

import os
import subprocess
from pathlib import Path

import pytest
from conftest import pglint_path
from test_history import write_tree

from pglint.config.settings import ConfigError, Settings, load_settings
from pglint.engine.runner import run_paths
from pglint.model.transactions import ASSUMED, ONE_QUERY
from pglint.source.files import discover
from pglint.source.layouts import detect

LT = "SET lock_timeout = '2s';\n"
TWO_TABLES = "CREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY);\n"
CIC = "CREATE INDEX CONCURRENTLY t_id ON t (id);\n"


def modes(root: Path) -> dict:
    histories, _ = detect(discover([str(root)], ("*.sql",)))
    return {os.path.relpath(e.input.path, root): (e.tx.mode if e.tx else "unknown")
            for h in histories for e in h.entries}


def findings(root: Path, **settings) -> list[tuple[str, int, str]]:
    res = run_paths([str(root)], Settings(jobs=1, **settings))
    return sorted((os.path.relpath(d.path, root), d.line, d.rule) for d in res.diagnostics)


def messages(root: Path, rule: str, **settings) -> list[str]:
    res = run_paths([str(root)], Settings(jobs=1, **settings))
    return [d.message + " " + (d.explanation or "") for d in res.diagnostics if d.rule == rule]


def test_each_layout_says_how_its_tool_runs_a_file(tmp_path):
    root = write_tree(tmp_path, {
        "fw/V1__a.sql": "SELECT 1;\n",
        "fw/V2__b.sql": "SELECT 1;\n",
        "fw/V2__b.sql.conf": "executeInTransaction=false\n",
        "gm/001_a.up.sql": "SELECT 1;\n",
        "gm/001_a.down.sql": "SELECT 1;\n",
        "gm/002_b.postgres.autocommit.up.sql": "SELECT 1;\n",
        "diesel/2024-01-01-000000_a/up.sql": "SELECT 1;\n",
        "diesel/2024-01-02-000000_b/up.sql": "SELECT 1;\n",
        "diesel/2024-01-02-000000_b/metadata.toml": "run_in_transaction = false\n",
        "prisma/20240101000000_a/migration.sql": "SELECT 1;\n",
        "plain/001_a.sql": "SELECT 1;\n",
        "plain/002_b.sql": "SELECT 1;\n",
    })
    assert modes(root) == {
        "fw/V1__a.sql": ASSUMED,
        "fw/V2__b.sql": None,  # the .conf file turns Flyway's transaction off
        "gm/001_a.up.sql": ONE_QUERY,
        "gm/001_a.down.sql": ONE_QUERY,
        "gm/002_b.postgres.autocommit.up.sql": None,
        "diesel/2024-01-01-000000_a/up.sql": ASSUMED,
        "diesel/2024-01-02-000000_b/up.sql": ONE_QUERY,  # run_in_transaction = false: one query string
        "prisma/20240101000000_a/migration.sql": ONE_QUERY,
        "plain/001_a.sql": "unknown",
        "plain/002_b.sql": "unknown",
    }


def test_non_idempotent_ddl_only_where_the_tool_does_not_wrap_the_file(tmp_path):
    root = write_tree(tmp_path, {
        "fw/V1__a.sql": TWO_TABLES,
        "gm/001_a.up.sql": TWO_TABLES,
        "diesel/2024-01-01-000000_a/up.sql": TWO_TABLES,
        "prisma/20240101000000_a/migration.sql": TWO_TABLES,
        "plain/001_a.sql": TWO_TABLES,
    })
    assert findings(root) == [("plain/001_a.sql", 1, "non-idempotent-ddl")]
    # the setting, when given, replaces what the layout says, for every file
    off = findings(root, assume_in_transaction=False)
    assert {p for p, _, r in off if r == "non-idempotent-ddl"} == {
        "fw/V1__a.sql", "gm/001_a.up.sql", "diesel/2024-01-01-000000_a/up.sql",
        "prisma/20240101000000_a/migration.sql", "plain/001_a.sql"}
    assert findings(root, assume_in_transaction=True) == []


def test_concurrently_follows_each_tool(tmp_path):
    root = write_tree(tmp_path, {
        # Flyway runs a file holding only such statements without a transaction, and refuses a mix
        "fw/V1__alone.sql": CIC,
        "fw/V2__mixed.sql": CIC + LT + "ALTER TABLE t ADD COLUMN x int;\n" + CIC.replace("t_id", "t_id2"),
        "fw/V4__all_refused.sql": "DROP INDEX CONCURRENTLY IF EXISTS t_old;\n" + CIC,
        "fw/V3__mixed_marked.sql": "-- pglint: no-transaction\n" + CIC + LT + "ALTER TABLE t ADD COLUMN y int;\n",
        # a query string of one statement runs outside a transaction block; of two, inside one
        "gm/001_alone.up.sql": CIC,
        "gm/002_two.up.sql": LT + CIC,
        "prisma/20240101000000_two/migration.sql": LT + CIC,
        # diesel wraps even one statement in BEGIN ... COMMIT, unless metadata.toml says otherwise
        "diesel/2024-01-01-000000_alone/up.sql": CIC,
        "diesel/2024-01-02-000000_off/up.sql": CIC,
        "diesel/2024-01-02-000000_off/metadata.toml": "run_in_transaction = false\n",
    })
    got = [(p, line) for p, line, r in findings(root) if r == "concurrently-in-transaction"]
    assert got == [
        ("diesel/2024-01-01-000000_alone/up.sql", 1),
        ("fw/V2__mixed.sql", 1),
        ("gm/002_two.up.sql", 2),
        ("prisma/20240101000000_two/migration.sql", 2),
    ]
    msgs = messages(root, "concurrently-in-transaction")
    assert any("diesel runs each migration in a transaction" in m for m in msgs)
    assert any("Detected both transactional and non-transactional statements" in m for m in msgs)
    assert any("golang-migrate sends each migration file to PostgreSQL as one query string" in m for m in msgs)
    assert any("Prisma Migrate sends each migration.sql" in m for m in msgs)


def test_begin_and_commit_in_a_query_string(tmp_path):
    root = write_tree(tmp_path, {
        # BEGIN turns the implicit block into an ordinary one: no nesting
        "gm/001_a.up.sql": "BEGIN;\n" + TWO_TABLES + "COMMIT;\n",
        # a COMMIT without BEGIN commits what came before: the rest runs in a new block
        "gm/002_b.up.sql": "CREATE TABLE c (id bigint PRIMARY KEY);\nCOMMIT;\nCREATE TABLE d (id bigint PRIMARY KEY);\n",
        "gm/003_c.up.sql": "SAVEPOINT s;\nCREATE TABLE e (id bigint PRIMARY KEY);\n",
        # diesel wraps the file: its BEGIN and COMMIT nest
        "diesel/2024-01-01-000000_a/up.sql": "BEGIN;\n" + TWO_TABLES + "COMMIT;\n",
    })
    got = findings(root)
    assert got == [
        ("diesel/2024-01-01-000000_a/up.sql", 1, "transaction-nesting"),
        ("diesel/2024-01-01-000000_a/up.sql", 4, "transaction-nesting"),
        ("gm/002_b.up.sql", 1, "non-idempotent-ddl"),
        ("gm/002_b.up.sql", 2, "transaction-nesting"),
        ("gm/003_c.up.sql", 1, "transaction-nesting"),
    ]
    (commit,) = [m for m in messages(root, "transaction-nesting") if m.startswith("COMMIT without BEGIN")]
    assert "one query string" in commit and "new transaction" in commit


CREATE_T = "CREATE TABLE t (id bigint PRIMARY KEY, a int);\n"
INDEX = "CREATE INDEX t_a ON t (a);\n"


@pytest.mark.parametrize("files,target,concurrently", [
    # diesel wraps the migration, even of one statement: CONCURRENTLY would make it fail
    ({"2024-01-01-000000_a/up.sql": CREATE_T, "2024-01-02-000000_b/up.sql": INDEX}, "2024-01-02-000000_b/up.sql", False),
    # alone in a query string (golang-migrate) or in a Flyway migration: it then runs outside a block
    ({"001_a.up.sql": CREATE_T, "002_b.up.sql": INDEX}, "002_b.up.sql", True),
    ({"V1__a.sql": CREATE_T, "V2__b.sql": INDEX}, "V2__b.sql", True),
    # with another statement beside it: inside the string's implicit block, or a mixed Flyway migration
    ({"001_a.up.sql": CREATE_T, "002_b.up.sql": LT + INDEX}, "002_b.up.sql", False),
    ({"V1__a.sql": CREATE_T, "V2__b.sql": LT + INDEX}, "V2__b.sql", False),
    # no known tool: statement by statement
    ({"001_a.sql": CREATE_T, "002_b.sql": LT + INDEX}, "002_b.sql", True),
])
def test_fix_adds_concurrently_only_where_it_can_run(tmp_path, files, target, concurrently):
    root = write_tree(tmp_path / "m", files)
    p = subprocess.run([pglint_path(), "--no-cache", "--isolated", "--fix", "--format", "concise", str(root)],
                       capture_output=True, text=True)
    assert "Traceback" not in p.stderr, p.stderr
    text = (root / target).read_text()
    assert ("CREATE INDEX CONCURRENTLY t_a" in text) is concurrently, text
    after = findings(root)
    assert not [f for f in after if f[2] == "concurrently-in-transaction"], after  # the fix never breaks a file
    if not concurrently:
        assert any(f[0] == target and f[2] == "index-not-concurrent" for f in after), after


def test_help_names_the_tools_way_out(tmp_path):
    root = write_tree(tmp_path, {"2024-01-01-000000_a/up.sql": CREATE_T, "2024-01-02-000000_b/up.sql": INDEX})
    res = run_paths([str(root)], Settings(jobs=1))
    (d,) = [d for d in res.diagnostics if d.rule == "index-not-concurrent"]
    assert "run_in_transaction = false" in (d.help or "")


def test_config_accepts_auto(tmp_path):
    (tmp_path / "pglint.toml").write_text('assume-in-transaction = "auto"\n')
    s, _ = load_settings(start=str(tmp_path))
    assert s.assume_in_transaction is None
    (tmp_path / "pglint.toml").write_text("assume-in-transaction = false\n")
    assert load_settings(start=str(tmp_path))[0].assume_in_transaction is False
    (tmp_path / "pglint.toml").write_text('assume-in-transaction = "always"\n')
    with pytest.raises(ConfigError):
        load_settings(start=str(tmp_path))


# -- the model of a query string, checked against PostgreSQL ------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("name,sql,pg_error", [
    ("two", "CREATE TABLE q1 (id bigint PRIMARY KEY);\nCREATE INDEX CONCURRENTLY q1_id ON q1 (id);\n",
     "cannot run inside a transaction block"),
    ("after_commit", "BEGIN;\nCREATE TABLE q2 (id bigint PRIMARY KEY);\nCOMMIT;\n"
     "CREATE INDEX CONCURRENTLY q2_id ON q2 (id);\n", "cannot run inside a transaction block"),
    ("savepoint", "SAVEPOINT s;\nCREATE TABLE q3 (id bigint PRIMARY KEY);\n", "can only be used in transaction blocks"),
    ("alone", "CREATE INDEX CONCURRENTLY pg_am_x ON q0 (id);\n", None),
])
def test_query_string_model_matches_postgresql(tmp_path, pg_cluster, name, sql, pg_error):
    psql = Path(pg_cluster.bindir) / "psql"
    args = [str(psql), "-X", "-q", "-h", "127.0.0.1", "-p", str(pg_cluster.port), "-U", "postgres", "-d", "postgres"]
    db = f"qs_{name}"
    subprocess.run(args + ["-c", f"DROP DATABASE IF EXISTS {db}"], check=True, capture_output=True)
    subprocess.run(args + ["-c", f"CREATE DATABASE {db}"], check=True, capture_output=True)
    args[-1] = db
    subprocess.run(args + ["-c", "CREATE TABLE q0 (id bigint PRIMARY KEY)"], check=True, capture_output=True)
    p = subprocess.run(args + ["-c", sql], capture_output=True, text=True)  # one simple query, as golang-migrate
    root = write_tree(tmp_path, {"000_base.up.sql": "CREATE TABLE q0 (id bigint PRIMARY KEY);\n",
                                 "001_x.up.sql": sql})
    errors = [r for p_, _, r in findings(root, select=["concurrently-in-transaction", "transaction-nesting"])
              if p_ == "001_x.up.sql"]
    if pg_error is None:
        assert p.returncode == 0 and "ERROR" not in p.stderr, p.stderr
        assert errors == []
    else:
        assert pg_error in p.stderr
        assert errors, f"PostgreSQL refused the file ({p.stderr.strip()}) and pglint said nothing"

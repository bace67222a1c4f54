"""pglint trace against a real PostgreSQL (the session cluster, or the embedded one the
command starts itself): what PostgreSQL really locks and rewrites, statement by statement."""

import json
import os
import subprocess
import sys

import psycopg
import pytest

from conftest import ROOT

pytestmark = pytest.mark.postgres

V1 = """\
CREATE TABLE accounts (id int PRIMARY KEY, email varchar(50) NOT NULL, n int);
CREATE TABLE orders (id int PRIMARY KEY, account_id int NOT NULL, note text);
INSERT INTO accounts SELECT g, 'user' || g, g FROM generate_series(1, 1000) g;
INSERT INTO orders SELECT g, 1 + g % 1000, 'x' FROM generate_series(1, 3000) g;
ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
"""

V2 = """\
SET lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE accounts ALTER COLUMN n TYPE bigint;
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);
CREATE INDEX orders_account_idx ON orders (account_id);
CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);
ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;
"""


def write(d, files: dict):
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def trace(paths, dsn, changed=None, seed_rows=0, **settings):
    from pglint.config.settings import Settings
    from pglint.trace.run import run_trace

    return run_trace([str(p) for p in paths], Settings(**settings), dsn=dsn, changed=changed, seed_rows=seed_rows)


def find(result, prefix):
    found = [s for s in result.statements if s.sql.startswith(prefix)]
    assert found, f"no traced statement starts with {prefix!r}"
    return found[0]


def modes(ts, relation):
    return {lt.mode for lt in ts.locks if lt.relation == relation}


def rules(result):
    return sorted(d.rule for d in result.diagnostics)


@pytest.fixture
def history(tmp_path):
    return write(tmp_path / "migrations", {"V1__init.sql": V1, "V2__changes.sql": V2})


def test_what_postgresql_does_on_a_small_history(history, pg_cluster):
    from pglint.trace.tracer import NO_TRANSACTION, OBSERVED, OWN_TRANSACTION

    r = trace([history], pg_cluster.dsn)
    assert [f.path.rsplit("/", 1)[-1] for f in r.files] == ["V1__init.sql", "V2__changes.sql"]
    # ADD COLUMN with a constant default: ACCESS EXCLUSIVE, no rewrite (fast default)
    add = find(r, "ALTER TABLE accounts ADD COLUMN active")
    assert modes(add, "public.accounts") == {"AccessExclusiveLock"}
    assert add.rewrites == []
    assert "column public.accounts.active added (boolean NOT NULL DEFAULT true)" in add.changes
    # integer -> bigint rewrites the table and its primary key index
    big = find(r, "ALTER TABLE accounts ALTER COLUMN n TYPE bigint")
    assert [x.qualified for x in big.rewrites] == ["public.accounts", "public.accounts_pkey"]
    assert "AccessExclusiveLock" in modes(big, "public.accounts")
    assert "column public.accounts.n type integer -> bigint" in big.changes
    # widening a varchar does not
    wide = find(r, "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200)")
    assert wide.rewrites == [] and modes(wide, "public.accounts") == {"AccessExclusiveLock"}
    # CREATE INDEX takes SHARE (writes blocked, reads go on)
    idx = find(r, "CREATE INDEX orders_account_idx")
    assert modes(idx, "public.orders") == {"ShareLock"}
    assert idx.run == OWN_TRANSACTION and "index public.orders_account_idx created" in idx.changes
    # CREATE INDEX CONCURRENTLY runs outside a transaction; its lock is seen from a second connection
    cic = find(r, "CREATE INDEX CONCURRENTLY")
    assert cic.run == NO_TRANSACTION and cic.lock_source == OBSERVED and cic.error is None
    assert modes(cic, "public.accounts") == {"ShareUpdateExclusiveLock"}
    assert "index public.accounts_email_idx created" in cic.changes
    # VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE on the table, ROW SHARE on the referenced one
    val = find(r, "ALTER TABLE orders VALIDATE CONSTRAINT")
    assert "ShareUpdateExclusiveLock" in modes(val, "public.orders")
    assert "AccessExclusiveLock" not in modes(val, "public.orders") | modes(val, "public.accounts")
    assert "foreign key orders_account_fk on public.orders validated" in val.changes
    # the lock_timeout in force before each statement, and durations
    assert find(r, "SET lock_timeout").lock_timeout == "0" and add.lock_timeout == "2s"
    assert all(s.duration_ms is not None and s.duration_ms >= 0 for s in r.statements)
    # every statement traced: the static model agrees with PostgreSQL on all of them
    assert not [s for s in r.statements if s.comparison is not None and s.comparison.disagreements]
    assert add.comparison.agrees and big.comparison.agrees and cic.comparison.agrees and val.comparison.agrees
    # findings: ACCESS EXCLUSIVE on existing tables, the rewrite; V1 ran with no lock_timeout
    assert rules(r).count("traced-rewrite") == 1
    assert "traced-exclusive-lock" in rules(r)
    assert {(d.rule, d.line) for d in r.diagnostics if d.path.endswith("V2__changes.sql")} >= {
        ("traced-exclusive-lock", 2), ("traced-rewrite", 3)}
    # tables created in the file itself are new: nothing is reported about V1 but the missing timeout
    assert {d.rule for d in r.diagnostics if d.path.endswith("V1__init.sql")} <= {"traced-lock-without-timeout"}


def test_changed_since_traces_only_the_changed_files(history, pg_cluster):
    changed = {os.path.realpath(history / "V2__changes.sql")}
    r = trace([history], pg_cluster.dsn, changed=changed)
    assert [f.traced for f in r.files] == [False, True]
    assert {s.path.rsplit("/", 1)[-1] for s in r.statements} == {"V2__changes.sql"}
    # V1 ran first, so its tables existed before V2: V2's locks on them are on existing tables
    assert find(r, "ALTER TABLE accounts ADD COLUMN active").locks[0].oid in find(r, "SET").existing


def test_changed_since_with_git(tmp_path, pg_cluster, pglint_exe):
    repo = tmp_path / "repo"
    d = write(repo / "db", {"V1__init.sql": V1})

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                       env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                            "GIT_COMMITTER_EMAIL": "t@t"})

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "v1")
    write(d, {"V2__changes.sql": V2})
    p = subprocess.run([pglint_exe, "trace", "--dsn", pg_cluster.dsn, "--changed-since", "HEAD", "--format", "json",
                        "db"], cwd=repo, capture_output=True, text=True)
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    assert {s["path"] for s in doc["statements"]} == {"db/V2__changes.sql"}


def test_explicit_transactions_are_honoured(tmp_path, pg_cluster):
    from pglint.trace.tracer import IN_TRANSACTION

    d = write(tmp_path / "m", {
        "V1__a.sql": "CREATE TABLE t (id int PRIMARY KEY, a int, b int);\nINSERT INTO t SELECT g, g, g FROM generate_series(1, 50) g;\n",
        "V2__b.sql": ("BEGIN;\nSET LOCAL lock_timeout = '1s';\nALTER TABLE t ADD COLUMN c int;\nALTER TABLE t ADD COLUMN d int;\n"
                      "CREATE INDEX t_a ON t (a);\nCOMMIT;\nALTER TABLE t ADD COLUMN e int;\n"),
    })
    r = trace([d], pg_cluster.dsn)
    first, second = find(r, "ALTER TABLE t ADD COLUMN c"), find(r, "ALTER TABLE t ADD COLUMN d")
    assert first.run == IN_TRANSACTION and second.run == IN_TRANSACTION
    assert modes(first, "public.t") == {"AccessExclusiveLock"}
    # the transaction already holds ACCESS EXCLUSIVE: taking it again shows no new lock,
    # which is not a disagreement with the static model
    assert modes(second, "public.t") == set()
    assert second.comparison.compared and second.comparison.agrees
    assert find(r, "CREATE INDEX t_a").lock_timeout == "1s"
    assert find(r, "ALTER TABLE t ADD COLUMN e").lock_timeout == "0"  # SET LOCAL ended with the transaction
    assert "column public.t.d added (integer)" in second.changes


def test_rejected_statement_rolls_back_the_file_and_the_trace_goes_on(tmp_path, pg_cluster):
    d = write(tmp_path / "m", {
        "V1__a.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
        "V2__b.sql": "BEGIN;\nALTER TABLE t ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nALTER TABLE t ADD COLUMN c int;\nCOMMIT;\n",
        "V3__c.sql": "ALTER TABLE t ADD COLUMN d int;\nSELECT b FROM t;\n",
    })
    r = trace([d], pg_cluster.dsn)
    err, err3 = [x for x in r.diagnostics if x.rule == "traced-statement-error"]
    assert err.path.endswith("V2__b.sql") and err.line == 3
    assert err3.path.endswith("V3__c.sql") and err3.line == 2
    assert "CREATE INDEX CONCURRENTLY cannot run inside a transaction block" in err.message
    assert "SQLSTATE 25001" in err.message
    assert "rolled back" in err.help and "2 later statements" in err.help
    v2 = [f for f in r.files if f.path.endswith("V2__b.sql")][0]
    assert v2.skipped == 2
    # V3 ran: its ADD COLUMN worked, and column b was rolled back with V2's transaction
    v3 = [f for f in r.files if f.path.endswith("V3__c.sql")][0]
    assert v3.statements[0].error is None
    assert v3.statements[1].error is not None and 'column "b" does not exist' in v3.statements[1].error.message


def test_syntax_errors_and_server_errors_are_diagnostics(tmp_path, pglint_exe, pg_cluster):
    """With the embedded cluster (pg_cluster only makes sure PostgreSQL is installed)."""
    d = write(tmp_path / "m", {"001_a.sql": "CREATE TABLE t (id int);\nCREATE TABLE u (id int REFERENCES nope (id));\n",
                               "002_b.sql": "ALTER TABLE t ADD COLUMN;\nSELECT 1;\n"})
    p = subprocess.run([pglint_exe, "trace", "--format", "json", str(d)], capture_output=True, text=True)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    doc = json.loads(p.stdout)
    errs = [x for x in doc["diagnostics"] if x["rule"] == "traced-statement-error"]
    assert [(x["path"].rsplit("/", 1)[-1], x["line"]) for x in errs] == [("001_a.sql", 2), ("002_b.sql", 1)]
    assert 'relation "nope" does not exist' in errs[0]["message"]
    assert "syntax error at end of input" in errs[1]["message"]


def test_json_output_is_exactly_the_documented_shape(history, pglint_exe, pg_cluster):
    """The embedded cluster (no --dsn); pg_cluster only makes sure PostgreSQL is installed."""
    p = subprocess.run([pglint_exe, "trace", "--format", "json", str(history)], capture_output=True, text=True)
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    assert set(doc) == {"version", "statements", "diagnostics"} and doc["version"] == 1
    for s in doc["statements"]:
        assert set(s) == {"path", "line", "sql", "locks", "rewrites", "lock_timeout", "duration_ms"}
        assert all(set(lk) == {"relation", "mode"} for lk in s["locks"])
        assert isinstance(s["duration_ms"], float) and isinstance(s["lock_timeout"], str)
    big = [s for s in doc["statements"] if s["sql"] == "ALTER TABLE accounts ALTER COLUMN n TYPE bigint"][0]
    assert big["rewrites"] == ["public.accounts", "public.accounts_pkey"] and big["line"] == 3
    assert big["path"] == str(history / "V2__changes.sql")
    d = [x for x in doc["diagnostics"] if x["rule"] == "traced-rewrite"][0]
    assert {"code", "rule", "severity", "message", "help", "path", "line", "column", "end_line", "end_column",
            "fix"} <= set(d) and d["code"] == "PG802"


def test_full_and_concise_formats(history, pg_cluster, pglint_exe):
    p = subprocess.run([pglint_exe, "trace", "--dsn", pg_cluster.dsn, str(history)], capture_output=True, text=True)
    assert p.returncode == 1, p.stderr
    out = p.stdout
    for word in ("statement", "locks", "rewrite", "ms", "ShareUpdateExclusiveLock", "all agree",
                 "observed from a second connection while it ran", "outside a transaction", "lock_timeout 2s",
                 "traced-rewrite (PG802)", "public.accounts_pkey"):
        assert word in out, word
    p = subprocess.run([pglint_exe, "trace", "--dsn", pg_cluster.dsn, "--format", "concise", str(history)],
                       capture_output=True, text=True)
    assert f"{history}/V2__changes.sql:3:1: PG802 traced-rewrite " in p.stdout


def test_scratch_databases_are_dropped_and_others_untouched(history, pg_cluster):
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE keep_me")
        try:
            trace([history], pg_cluster.dsn)
            names = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
        finally:
            conn.execute("DROP DATABASE keep_me")
    assert "keep_me" in names and "postgres" in names
    assert not [n for n in names if n.startswith("pglint_trace_")]


def test_goose_sections_and_copy_from_stdin(tmp_path, pg_cluster):
    from pglint.trace.tracer import IN_TRANSACTION, NO_TRANSACTION

    d = write(tmp_path / "db", {
        "00001_init.sql": ("-- +goose Up\nCREATE TABLE t (id int PRIMARY KEY, a text);\nCOPY t (id, a) FROM stdin;\n"
                           "1\tone\n2\ttwo\n\\.\n\n-- +goose Down\nDROP TABLE t;\n"),
        "00002_idx.sql": ("-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n"
                          "-- +goose Down\nDROP INDEX t_a;\n"),
        "00003_col.sql": "-- +goose Up\nALTER TABLE t ADD COLUMN b int;\nSELECT count(*) FROM t;\n-- +goose Down\nALTER TABLE t DROP COLUMN b;\n",
    })
    r = trace([d], pg_cluster.dsn)
    assert not [x for x in r.diagnostics if x.rule == "traced-statement-error"], r.diagnostics
    sqls = [s.sql for s in r.statements]
    assert not any(s.startswith("DROP") or "DROP COLUMN" in s for s in sqls)  # down sections are not run
    assert find(r, "CREATE TABLE t").run == IN_TRANSACTION  # goose wraps Up in a transaction
    assert find(r, "CREATE INDEX CONCURRENTLY").run == NO_TRANSACTION
    assert find(r, "ALTER TABLE t ADD COLUMN b").run == IN_TRANSACTION


def test_lock_without_timeout_once_per_file_and_the_setting_counts(tmp_path, pg_cluster):
    d = write(tmp_path / "m", {
        "V1__a.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
        "V2__b.sql": "CREATE INDEX t_a ON t (a);\nALTER TABLE t ADD COLUMN b int;\n",
    })
    r = trace([d], pg_cluster.dsn)
    (x,) = [x for x in r.diagnostics if x.rule == "traced-lock-without-timeout"]
    assert x.line == 1 and "SHARE lock on public.t" in x.message
    r = trace([d], pg_cluster.dsn, lock_timeout="3s")
    assert "traced-lock-without-timeout" not in rules(r)
    assert find(r, "CREATE INDEX t_a").lock_timeout == "3s"


def test_seed_rows_fill_existing_tables(tmp_path, pg_cluster):
    d = write(tmp_path / "m", {
        "V1__a.sql": ("CREATE TYPE mood AS ENUM ('ok', 'meh');\n"
                      "CREATE TABLE parent (id bigserial PRIMARY KEY, name varchar(10) NOT NULL UNIQUE, m mood NOT NULL,"
                      " at timestamptz NOT NULL, flag boolean, doc jsonb, u uuid NOT NULL);\n"
                      "CREATE TABLE child (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                      " parent_id bigint NOT NULL REFERENCES parent (id), amount numeric(8, 2) NOT NULL CHECK (amount >= 0),"
                      " tags text[] NOT NULL, day date);\n"),
        "V2__b.sql": "SET lock_timeout = '1s';\nALTER TABLE child ALTER COLUMN amount TYPE numeric(12, 4);\n",
    })
    r = trace([d], pg_cluster.dsn, changed={os.path.realpath(d / "V2__b.sql")}, seed_rows=2000)
    assert not [n for n in r.notes if "could not" in n], r.notes
    assert any("public.parent: 2000 rows" in n for n in r.notes) and any("public.child: 2000 rows" in n for n in r.notes)
    alter = find(r, "ALTER TABLE child")
    assert [x.qualified for x in alter.rewrites] == ["public.child", "public.child_pkey"]


def test_missing_server_binaries_and_bad_dsn_are_clear(tmp_path, pglint_exe):
    d = write(tmp_path / "m", {"V1__a.sql": "SELECT 1;\n"})
    p = subprocess.run([pglint_exe, "trace", "--pg-bin", str(tmp_path), str(d)], capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "no initdb/pg_ctl in" in p.stderr
    dsn = "postgresql://someone:s3cretpw@127.0.0.1:1/db?connect_timeout=2"
    p = subprocess.run([pglint_exe, "trace", "--dsn", dsn, str(d)], capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "cannot connect to PostgreSQL" in p.stderr and "s3cretpw" not in p.stderr + p.stdout


def test_missing_server_names_what_to_install(monkeypatch):
    from pglint.trace import cluster

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("PGLINT_PG_BIN", raising=False)
    monkeypatch.setattr(cluster.glob, "glob", lambda pattern: [])
    with pytest.raises(cluster.ClusterError, match="apt-get install postgresql"):
        cluster.find_bindir(None)


def test_psycopg_is_not_imported_at_startup():
    code = ("import sys; from pglint.cli import main; rc = main(['rules']); "
            "rc2 = main(['check', '--format', 'json', 'fixtures/demo']); "
            "print('psycopg' in sys.modules, 'pglint.trace.tracer' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert p.stdout.strip().splitlines()[-1] == "False False", p.stderr


def test_trace_rule_pages_show_plain_sql():
    from pglint.engine.registry import all_rules

    trace_rules = [r for r in all_rules().values() if r.category == "trace"]
    assert {r.name for r in trace_rules} == {"traced-exclusive-lock", "traced-rewrite", "traced-lock-without-timeout",
                                            "static-trace-disagreement", "traced-statement-error"}
    for r in trace_rules:
        assert not r.engine and r.code.startswith("PG8")
        text = (ROOT / "rules" / f"{r.name}.md").read_text(encoding="utf-8")
        assert "```sql\n" in text and "```sql bad" not in text and "```sql good" not in text


@pytest.mark.parametrize("when", ["starting", "tracing"])
def test_ctrl_c_removes_the_temporary_cluster(history, pglint_exe, pg_cluster, when):
    import signal
    import tempfile
    import time

    tmp = tempfile.mkdtemp(prefix="pglint-test-")  # where the cluster goes: readable by the server's user
    os.chmod(tmp, 0o755)
    many = {f"V{n}__t{n}.sql": f"CREATE TABLE t{n} (a int);\nINSERT INTO t{n} SELECT generate_series(1, 1000);\n"
            for n in range(3, 300)}
    write(history, many)

    def clusters() -> list[str]:
        # only the cluster's directory: Python's tempfile first probes TMPDIR with a file it
        # creates and removes at once, which a bare listdir can catch between two calls
        return [d for d in os.listdir(tmp) if d.startswith("pglint-pg-")]

    try:
        p = subprocess.Popen([pglint_exe, "trace", str(history)], env={**os.environ, "TMPDIR": tmp},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and not clusters() and p.poll() is None:
            time.sleep(0.01)
        if not clusters():
            if p.poll() is None:
                p.kill()
            out, err = p.communicate(timeout=60)
            pytest.fail(f"the cluster directory never appeared (exit {p.returncode}): {err[-2000:]} {out[-500:]}")
        if when == "tracing":  # wait for the server to be up and the trace running
            while time.time() < deadline and not any(
                    os.path.exists(os.path.join(tmp, d, "data", "postmaster.pid")) for d in clusters()):
                time.sleep(0.01)
            time.sleep(1.0)
        assert p.poll() is None, "trace finished before it could be interrupted"
        p.send_signal(signal.SIGINT)
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 130 and "Traceback" not in err and "Aborted" not in err, err
        assert err.strip().splitlines()[-1] == "pglint: interrupted", err
        assert os.listdir(tmp) == []
    finally:
        subprocess.run(["rm", "-rf", tmp])


def test_assume_in_transaction_wraps_each_file(tmp_path, pg_cluster):
    from pglint.trace.tracer import IN_TRANSACTION, NO_TRANSACTION

    d = write(tmp_path / "m", {
        "V1__a.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
        "V2__b.sql": "SET LOCAL lock_timeout = '1s';\nALTER TABLE t ADD COLUMN b int;\n",
        "V3__c.sql": "CREATE INDEX CONCURRENTLY t_a ON t (a);\n",  # alone in its file: sent without a transaction
        "V4__d.sql": "SET LOCAL lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY t_b ON t (b);\n",
    })
    r = trace([d], pg_cluster.dsn, assume_in_transaction=True)
    add = find(r, "ALTER TABLE t ADD COLUMN b")
    assert add.run == IN_TRANSACTION and add.lock_timeout == "1s"  # SET LOCAL works: the file is one transaction
    assert find(r, "CREATE INDEX CONCURRENTLY t_a").run == NO_TRANSACTION
    (err,) = [x for x in r.diagnostics if x.rule == "traced-statement-error"]
    assert err.path.endswith("V4__d.sql") and "cannot run inside a transaction block" in err.message
    # the static rule says the same about the same files
    from pglint.config.settings import Settings
    from pglint.engine.runner import run_paths

    static = run_paths([str(d)], Settings(assume_in_transaction=True))
    assert [(x.path.rsplit("/", 1)[-1], x.line) for x in static.diagnostics if x.rule == "concurrently-in-transaction"] == [
        ("V4__d.sql", 2)]


def test_server_wide_statements_are_not_run_on_a_given_server(tmp_path, pg_cluster):
    d = write(tmp_path / "m", {"V1__a.sql": "CREATE ROLE pglint_trace_test_role;\nCREATE TABLE t (a int);\n"})
    r = trace([d], pg_cluster.dsn)
    (f,) = r.files
    assert [s.sql for s in f.statements] == ["CREATE TABLE t (a int)"]
    assert any("not run: a CREATE ROLE statement changes the whole server" in n for n in f.notes)
    with psycopg.connect(pg_cluster.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'pglint_trace_test_role'").fetchone()[0] == 0


def test_missing_psycopg_names_what_to_install(history):
    """psycopg comes with the live/test extras; without it trace says what to install."""
    code = ("import sys, builtins\nreal = builtins.__import__\n"
            "def no_psycopg(name, *a, **k):\n"
            "    if name.split('.')[0] == 'psycopg':\n        raise ImportError(name)\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = no_psycopg\n"
            f"from pglint.cli import main\nsys.exit(main(['trace', {str(history)!r}]))\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "pip install 'pglint[live]'" in p.stderr


def test_each_tool_runs_a_file_as_the_linter_reads_it(tmp_path, pg_cluster):
    """diesel wraps a migration in a transaction (even one statement); golang-migrate sends a
    file as one query string, whose statements after a COMMIT run in a new implicit block."""
    from pglint.config.settings import Settings
    from pglint.engine.runner import run_paths
    from pglint.trace.tracer import IN_TRANSACTION

    diesel = tmp_path / "diesel"
    write(diesel / "2024-01-01-000000_a", {"up.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\n"})
    write(diesel / "2024-01-02-000000_b", {"up.sql": "CREATE INDEX CONCURRENTLY t_a ON t (a);\n"})
    gm = write(tmp_path / "gm", {
        "001_a.up.sql": "CREATE TABLE u (id int PRIMARY KEY);\nCOMMIT;\nALTER TABLE u ADD COLUMN b int;\n",
    })
    r = trace([diesel, gm], pg_cluster.dsn)
    (err,) = [x for x in r.diagnostics if x.rule == "traced-statement-error"]
    assert err.path.endswith("2024-01-02-000000_b/up.sql") and "cannot run inside a transaction block" in err.message
    assert find(r, "ALTER TABLE u ADD COLUMN b").run == IN_TRANSACTION
    static = run_paths([str(diesel), str(gm)], Settings())
    assert [(x.path.rsplit("/", 2)[-2], x.line) for x in static.diagnostics
            if x.rule == "concurrently-in-transaction"] == [("2024-01-02-000000_b", 1)]


def test_ctrl_c_while_a_child_is_created_waits_until_its_pid_is_known():
    """Cluster._run holds Ctrl-C back during Popen: an interrupt after Popen's fork would
    leave an initdb running that nobody can stop (and it recreates the removed directory)."""
    import signal
    import time

    from pglint.trace.cluster import _HeldSignals

    before = signal.getsignal(signal.SIGINT)
    reached = False
    with _HeldSignals() as held:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # Python runs the handler here: it only records the signal
        reached = True
    assert reached and held.pending == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is before  # the handler in place is back
    with pytest.raises(KeyboardInterrupt):
        held.deliver()
        time.sleep(0.05)
    with _HeldSignals() as quiet:
        pass
    quiet.deliver()  # nothing held: nothing raised

"""Live mode and trace against a server of their own (statement log on, a hot standby built
from it, a proxy that drops connections): files that try to escape EXPLAIN change nothing (on
the server, checked table by table and in its statement log), user-defined functions are never
run by planning, lost connections, timeouts, read-only servers, wrong passwords and missing
privileges give a clear message and exit 2 (or an info), never a traceback or the password;
trace writes nothing outside its scratch database."""

from __future__ import annotations

import os
import re
import subprocess
import time

import psycopg
import pytest

from conftest import IN_CI
from live_db import LiveDB, run_cli, unique, write_config
from live_faults import LOG_LINE_PREFIX, CuttingProxy, ServerLog, Standby

pytestmark = pytest.mark.postgres

PASSWORD = "Hx7-" + unique("pw")
# a password with an @ (libpq ends a URL's user info at the first one), for a role of its own
AT_USER, AT_PASSWORD = "pglint_at", "Leak@Pw"


@pytest.fixture(scope="module")
def srv():
    """A cluster of this module's own: statement log, replication (for the standby), and a
    role that logs in with a password (scram), so that tests can check it is never shown."""
    from pglint.trace.cluster import Cluster, ClusterError

    try:
        c = Cluster(settings={"shared_preload_libraries": "pg_stat_statements", "log_statement": "all",
                              "log_line_prefix": LOG_LINE_PREFIX, "wal_level": "replica",
                              "max_wal_senders": "4"}).start()
    except ClusterError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(str(exc))
    c.owner = "pglint_owner"
    with psycopg.connect(c.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {c.owner} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        conn.execute(f"CREATE ROLE {AT_USER} LOGIN CREATEDB PASSWORD '{AT_PASSWORD}'")
    hba = os.path.join(c.tmp, "data", "pg_hba.conf")
    with open(hba) as f:
        original = f.read()
    with open(hba, "w") as f:
        f.write(f"host all {c.owner} 127.0.0.1/32 scram-sha-256\n"
                f"host all {AT_USER} 127.0.0.1/32 scram-sha-256\n" + original)
    with psycopg.connect(c.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.3)
    c.log = ServerLog(c)
    yield c
    c.stop()


def owner_url(srv, db: str, port: int | None = None, password: str = PASSWORD) -> str:
    return f"postgresql://{srv.owner}:{password}@127.0.0.1:{port or srv.port}/{db}"


def sh(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    from conftest import pglint_path

    p = subprocess.run([pglint_path(), *args], capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in p.stdout + p.stderr, p.stderr
    assert PASSWORD not in p.stdout + p.stderr
    return p


# -- files that try to escape EXPLAIN ----------------------------------------------------------

SCHEMA = """
CREATE EXTENSION dblink;
CREATE TABLE victim (id int PRIMARY KEY, note text);
INSERT INTO victim SELECT g, 'row ' || g FROM generate_series(1, 100) g;
CREATE TABLE audit (what text);
CREATE SEQUENCE s;
CREATE TABLE with_default (a int, b text DEFAULT 'x');
CREATE FUNCTION bump() RETURNS int VOLATILE LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES ('bump'); RETURN 1; END $$;
-- user functions that lie about their volatility and write through dblink (a connection of their
-- own, which the read-only transaction does not cover), as superuser (SECURITY DEFINER)
CREATE FUNCTION leak(what text) RETURNS int VOLATILE SECURITY DEFINER LANGUAGE sql
  AS $$ SELECT dblink_exec('{conn}', format('INSERT INTO audit VALUES (%L)', what)) IS NOT NULL::int $$;
CREATE FUNCTION sneaky_stable() RETURNS int STABLE SECURITY DEFINER LANGUAGE plpgsql
  AS $$ BEGIN RETURN leak('stable'); END $$;
CREATE FUNCTION sneaky_immutable(i int) RETURNS int IMMUTABLE SECURITY DEFINER LANGUAGE plpgsql
  AS $$ BEGIN PERFORM leak('immutable'); RETURN i; END $$;
CREATE FUNCTION sneaky_text() RETURNS text IMMUTABLE SECURITY DEFINER LANGUAGE plpgsql
  AS $$ BEGIN PERFORM leak('default'); RETURN 'x'; END $$;
CREATE FUNCTION sneaky_check(t text) RETURNS boolean IMMUTABLE SECURITY DEFINER LANGUAGE plpgsql
  AS $$ BEGIN PERFORM leak('domain'); RETURN true; END $$;
CREATE FUNCTION plus3(a int, b int) RETURNS int IMMUTABLE SECURITY DEFINER LANGUAGE plpgsql
  AS $$ BEGIN PERFORM leak('operator'); RETURN a + b; END $$;
CREATE OPERATOR ### (LEFTARG = int, RIGHTARG = int, FUNCTION = plus3);
CREATE FUNCTION killer() RETURNS int STABLE SECURITY DEFINER LANGUAGE plpgsql AS $$
  BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pglint_victim'; RETURN 1; END $$;
CREATE VIEW sneaky_view AS SELECT sneaky_stable() AS s, id FROM victim;
CREATE VIEW deeper_view AS SELECT * FROM sneaky_view;
CREATE TABLE guarded (id int);
INSERT INTO guarded VALUES (1);
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON guarded USING (sneaky_stable() > 0);
CREATE DOMAIN checked AS text CHECK (sneaky_check(VALUE));
CREATE TABLE defaulted (a int, b text DEFAULT sneaky_text());
ANALYZE;
"""

# statements that change the database: this file changes victim, so the other file's queries on
# victim are EXPLAINed (pglint does not EXPLAIN a query on a table its file changed before it)
DESTRUCTIVE = r"""
SELECT 1; DROP TABLE victim;
SELECT 1 /* */; COMMIT; DROP TABLE victim;
SELECT 1 /* ; DROP TABLE victim; */;
SELECT $$; DROP TABLE victim; $$;
EXPLAIN ANALYZE DELETE FROM victim;
PREPARE p AS DELETE FROM victim;
EXECUTE p;
TRUNCATE victim;
COPY victim FROM stdin;
999	copied
\.
DO $$ BEGIN DELETE FROM victim; END $$;
SET default_transaction_read_only = off;
\! touch {pwned}
\c postgres
DROP TABLE victim;
"""

# queries (each EXPLAINed, some with ANALYZE) whose execution or planning could change something
ESCAPES = r"""
SELECT * FROM victim WHERE id = 1;
WITH d AS (DELETE FROM victim RETURNING *) SELECT * FROM d;
SELECT * FROM victim FOR UPDATE;
DELETE FROM victim;
UPDATE victim SET note = 'changed';
INSERT INTO victim SELECT g, 'new' FROM generate_series(1000, 1010) g;
SELECT set_config('default_transaction_read_only', 'off', false);
SELECT bump();
SELECT nextval('s');
SELECT setval('s', 100);
SELECT pg_advisory_lock(42);
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pglint_victim';
SELECT pg_stat_reset();
SELECT lo_create(0);
SELECT query_to_xml('DELETE FROM victim RETURNING 1', true, true, '');
SELECT leak('direct');
SELECT dblink_exec('{conn}', 'DROP TABLE victim');
SELECT sneaky_stable();
SELECT * FROM victim WHERE id = sneaky_immutable(1);
SELECT * FROM sneaky_view;
SELECT * FROM deeper_view WHERE id = 2;
SELECT * FROM guarded;
SELECT 1 ### 2;
SELECT 'x'::checked;
SELECT killer();
INSERT INTO defaulted (a) VALUES (1);
"""

# nothing about these may reach the server inside an EXPLAIN ANALYZE
NEVER_ANALYZED = ("bump", "nextval", "setval", "pg_advisory_lock", "pg_terminate_backend", "pg_stat_reset",
                  "lo_create", "query_to_xml", "leak", "dblink", "sneaky", "killer", "guarded", "checked",
                  "###", "set_config")
# user functions that lie about their volatility: never planned (constant folding would run them)
NEVER_SENT = ("sneaky_stable", "sneaky_immutable", "sneaky_view", "deeper_view", "guarded", "###", "::checked",
              "killer", "defaulted")


@pytest.fixture(scope="module")
def app(srv):
    d = LiveDB(srv, "pglint_escape")
    d.conn = f"host=127.0.0.1 port={srv.port} user=postgres dbname={d.name}"
    d.execute(SCHEMA.replace("{conn}", d.conn))
    d.reader = d.role("pglint_reader", 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}',
                      'GRANT USAGE ON SEQUENCE s TO {role}')
    yield d
    d.drop()


def parse_json(sql: str) -> str:
    from pglast.parser import parse_sql_json

    return parse_sql_json(sql)


def explained(sql: str) -> str:
    """The type of the statement an EXPLAIN or PREPARE (as the server received it) wraps;
    the text must be exactly one statement."""
    import json

    stmts = json.loads(parse_json(sql))["stmts"]
    assert len(stmts) == 1, sql
    (typ, node), = stmts[0]["stmt"].items()
    assert typ in ("ExplainStmt", "PrepareStmt"), sql
    (inner, _), = node["query"].items()
    return inner


def fingerprint(db) -> dict:
    """Everything a file could change: each table's rows, the relations, sequences, roles,
    databases, statistics resets, advisory locks."""
    out = {}
    for (t,) in db.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
                           "ORDER BY 1"):
        out[f"table {t}"] = db.scalar(f'SELECT md5(coalesce(string_agg(x::text, \',\' ORDER BY x::text), \'\')) '
                                      f'FROM "{t}" x')
    out["relations"] = db.execute("SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                                  "ORDER BY 1")
    out["sequence"] = db.scalar("SELECT last_value FROM s")
    out["roles"] = db.execute("SELECT rolname FROM pg_roles ORDER BY 1")
    out["databases"] = db.execute("SELECT datname FROM pg_database ORDER BY 1")
    out["stats_reset"] = db.scalar("SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()")
    out["large objects"] = db.scalar("SELECT count(*) FROM pg_largeobject_metadata")
    out["advisory locks"] = db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
    return out


@pytest.mark.parametrize("who", ["superuser", "reader"])
def test_escape_attempts_change_nothing_on_the_server(srv, app, tmp_path, who):
    pwned = tmp_path / "pwned"
    f = tmp_path / "escape.sql"
    f.write_text(ESCAPES.replace("{conn}", app.conn))
    g = tmp_path / "destructive.sql"
    g.write_text(DESTRUCTIVE.replace("{pwned}", str(pwned)))
    victim = psycopg.connect(app.url, autocommit=True, application_name="pglint_victim")
    before = fingerprint(app)
    url = owner_url(srv, app.name) if who == "superuser" else app.url_as(app.reader)
    srv.log.mark()
    try:
        rc, out, err = run_cli("check", "--isolated", "--format", "json", "--dsn", url, "--analyze", str(f), str(g))
        assert rc in (0, 1), err
        assert victim.execute("SELECT 1").fetchone() == (1,), "pglint's EXPLAIN killed another session"
    finally:
        victim.close()
    assert fingerprint(app) == before
    assert app.scalar("SELECT count(*) FROM audit") == 0
    assert not pwned.exists()
    assert PASSWORD not in out + err

    sent = srv.log.statements("pglint")
    explains = [s for s in sent if s.startswith("EXPLAIN")]
    assert explains and any("ANALYZE" in s for s in explains), sent  # the test saw real EXPLAINs
    for s in sent:
        s = s.lstrip().removeprefix("/* pglint */ ")  # the marker of pglint's own catalog queries
        head = s.lstrip().split(None, 1)[0].upper().rstrip(";")
        assert head in ("BEGIN", "SET", "SELECT", "EXPLAIN", "ROLLBACK", "WITH", "SHOW", "PREPARE", "DEALLOCATE"), s
        if head == "SET":
            assert re.match(r"(?i)SET (LOCAL \w+|default_transaction_read_only = on|plan_cache_mode)", s), s
        if head in ("EXPLAIN", "PREPARE"):
            assert not any(n in s for n in NEVER_SENT), s
            inner = explained(s)
            assert inner in ("SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "ExecuteStmt"), s
        if head == "EXPLAIN" and "ANALYZE" in s:
            assert not any(n in s for n in NEVER_ANALYZED), s
            assert explained(s) == "SelectStmt" and not re.search(r'"(InsertStmt|UpdateStmt|DeleteStmt|'
                                                                   r'lockingClause)"', parse_json(s)), s
    notes = [n["note"] for n in __import__("json").loads(out).get("notes", []) if n["path"] == str(f)]
    assert not any("this file creates or changes" in n for n in notes), notes
    for name in ("sneaky_stable()", "sneaky_immutable()", "plus3()", "sneaky_check()", "killer()", "sneaky_text()"):
        assert any(name in n and "while planning" in n for n in notes), (name, notes)


def test_user_functions_planning_would_run_are_named(srv, app, tmp_path):
    """The queries that are not EXPLAINed say which user-defined function stopped them; plain
    queries on the same tables are still EXPLAINed, and volatile user functions only lose ANALYZE."""
    f = tmp_path / "q.sql"
    f.write_text("SELECT * FROM sneaky_view;\nSELECT * FROM victim WHERE id = 3;\nSELECT leak('x');\n"
                 "SELECT 1 ### 2;\nINSERT INTO defaulted (a) VALUES (1);\nINSERT INTO with_default (a) VALUES (1);\n")
    rc, out, err = run_cli("check", "--isolated", "--format", "json", "--dsn", app.url, "--analyze", str(f))
    assert rc in (0, 1), err
    import json

    doc = json.loads(out)
    notes = {int(re.search(r"line (\d+)", n["note"]).group(1)): n["note"] for n in doc.get("notes", [])}
    assert "sneaky_stable()" in notes[1]
    assert "plus3()" in notes[4]
    assert "sneaky_text()" in notes[5]
    assert 2 not in notes and 3 not in notes and 6 not in notes
    skipped = [d for d in doc["diagnostics"] if d["rule"] == "live-skipped" and d["line"] == 3]
    assert skipped and "Not run with EXPLAIN ANALYZE" in skipped[0]["message"] and "leak()" in skipped[0]["message"]
    assert app.scalar("SELECT count(*) FROM audit") == 0


ANALYZE_ONLY_WHAT_IS_DECLARED = """\
SELECT txid_current();
SELECT pg_current_xact_id();
SELECT * FROM t WHERE id = txid_current();
SELECT * FROM counted;
SELECT * FROM stamped;
SELECT random();
SELECT count(*) FROM t WHERE v > 10;
"""


def test_analyze_runs_only_functions_the_catalog_marks_immutable_or_stable(srv, tmp_path):
    """txid_current() is declared STABLE but assigns a transaction ID: --analyze executed it
    (and every volatile built-in a view calls, such as nextval()). Now a query is run with
    ANALYZE only when every function it may call, built-ins included, directly or through a
    view, is IMMUTABLE or STABLE in pg_proc and not one of those; txid_current() is planned
    only where the planner never evaluates it (the select list), else not EXPLAINed at all."""
    import json

    d = LiveDB(srv, "pglint_xid")
    try:
        d.execute("CREATE TABLE t (id int PRIMARY KEY, v int);\n"
                  "INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;\n"
                  "CREATE SEQUENCE s;\n"
                  "CREATE VIEW counted AS SELECT id, nextval('s') AS n FROM t;\n"
                  "CREATE VIEW stamped AS SELECT id FROM t WHERE v < txid_current();\n"
                  "ANALYZE t;")
        f = tmp_path / "q.sql"
        f.write_text(ANALYZE_ONLY_WHAT_IS_DECLARED)

        def next_xid() -> str:  # read-only: assigns no transaction ID itself
            return d.scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")

        counter_kept = False
        for _attempt in range(3):  # autovacuum, elsewhere in the cluster, may take an ID meanwhile
            srv.log.mark()
            before = next_xid()
            rc, out, err = run_cli("check", "--isolated", "--format", "json", "--ignore", "select-star",
                                   "--dsn", d.url, "--analyze", str(f))
            assert rc in (0, 1), err
            if next_xid() == before:
                counter_kept = True
                break
        assert counter_kept, "--analyze advanced the server's transaction counter"
        assert d.scalar("SELECT last_value::text || is_called::text FROM s") == "1false"
        sent = srv.log.statements("pglint")
        explains = [x for x in sent if x.startswith("EXPLAIN")]
        analyzed = [x for x in explains if "ANALYZE" in x]
        assert any("count(*)" in x for x in analyzed), explains  # ANALYZE still runs where it may
        assert not [x for x in analyzed if "count(*)" not in x], analyzed
        assert not [x for x in explains if "WHERE id = txid_current()" in x or "stamped" in x], explains
        assert [x for x in explains if "SELECT txid_current()" in x]  # planned only

        doc = json.loads(out)
        skipped = {x["line"]: x for x in doc["diagnostics"] if x["rule"] == "live-skipped" and x["path"] == str(f)}
        assert sorted(skipped) == [1, 2, 4, 6], skipped
        for line, name, why in ((1, "txid_current()", "assigns a transaction ID"),
                                (2, "pg_current_xact_id()", "assigns a transaction ID"),
                                (4, "nextval()", "volatile"), (6, "random()", "volatile")):
            msg = skipped[line]["message"]
            assert msg.startswith("Not run with EXPLAIN ANALYZE, only planned") and name in msg, msg
            assert why in msg + skipped[line]["help"] and skipped[line]["extra"]["planned_only"] is True
        notes = {int(re.search(r"line (\d+)", n["note"]).group(1)): n["note"] for n in doc.get("notes", [])}
        assert sorted(notes) == [3, 5], notes
        assert all("not EXPLAINed" in n and "txid_current()" in n and "while planning" in n for n in notes.values())
    finally:
        d.drop()


# -- the server goes away mid-run ------------------------------------------------------------------

@pytest.fixture(scope="module")
def slowdb(srv):
    d = LiveDB(srv, "pglint_drop")
    d.execute("CREATE TABLE big AS SELECT g AS id, g % 100 AS k FROM generate_series(1, 200000) g; ANALYZE big;")
    yield d
    d.drop()


@pytest.mark.parametrize("command,trigger", [
    ("check", b"pg_attribute"),       # while reading the catalog
    ("check", b"EXPLAIN"),            # while EXPLAINing a statement of the file
    ("health", b"pg_stat_activity"),  # in the middle of the health checks
    ("health", b"pg_index"),
    ("trace", b"ALTER TABLE"),        # while a traced statement runs
    ("trace", b"pg_locks"),           # while trace reads what the statement locked
])
def test_server_dropping_the_connection_mid_run(srv, slowdb, tmp_path, command, trigger):
    (tmp_path / "q.sql").write_text("SELECT * FROM big WHERE k = 3;\nSELECT count(*) FROM big WHERE id < 10;\n")
    m = tmp_path / "m"
    m.mkdir()
    (m / "V1__a.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);\n")
    (m / "V2__b.sql").write_text("ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX t_b ON t (b);\n")
    proxy = CuttingProxy(srv.port, trigger)
    try:
        if command == "check":
            p = sh("check", "--isolated", "--dsn", owner_url(srv, slowdb.name, proxy.port), "--analyze",
                   str(tmp_path / "q.sql"))
        elif command == "health":
            p = sh("health", "--isolated", "--dsn", owner_url(srv, slowdb.name, proxy.port))
        else:
            p = sh("trace", "--isolated", "--dsn", owner_url(srv, "postgres", proxy.port), str(m))
    finally:
        proxy.close()
    assert proxy.cut.is_set(), "the connection was never cut: the trigger text was not sent"
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "lost the connection" in p.stderr and f"127.0.0.1:{proxy.port}" in p.stderr + f"127.0.0.1:{proxy.port}"
    assert len(p.stderr.strip().splitlines()) <= 4, p.stderr
    if command == "trace":
        # the server was gone, so the scratch database could not be dropped: the message names it
        with psycopg.connect(srv.dsn, autocommit=True) as conn:
            left = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'pglint_trace_%'")]
            for name in left:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        assert left and all(name in p.stderr for name in left), (left, p.stderr)
        assert "drop it by hand" in p.stderr


def test_backend_terminated_while_explaining(srv, slowdb, tmp_path):
    """The server ends pglint's session (pg_terminate_backend) during an EXPLAIN ANALYZE."""
    f = tmp_path / "slow.sql"
    f.write_text("SELECT count(*) FROM big a, big b WHERE a.k + b.k < 0;\n")
    cfg = write_config(tmp_path, statement_timeout="60s", hypopg=False)
    from conftest import pglint_path

    proc = subprocess.Popen([pglint_path(), "check", "--config", cfg, "--dsn", owner_url(srv, slowdb.name),
                             "--analyze", str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = 0
    try:
        deadline = time.time() + 60
        with psycopg.connect(srv.dsn, autocommit=True) as conn:
            while time.time() < deadline and proc.poll() is None and not killed:
                killed = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                                      "application_name = 'pglint' AND query LIKE 'EXPLAIN%ANALYZE%'").fetchone()[0]
                time.sleep(0.05)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert killed, "pglint's EXPLAIN was never seen running"
    assert proc.returncode == 2 and "Traceback" not in err and PASSWORD not in out + err
    assert "lost the connection" in err and "terminating connection" in err, err


# -- timeouts ------------------------------------------------------------------------------------------

def test_tiny_statement_timeout_skips_checks_with_infos(srv, slowdb, tmp_path):
    cfg = write_config(tmp_path, statement_timeout="1ms")
    (tmp_path / "q.sql").write_text("SELECT count(*) FROM big a JOIN big b ON a.k = b.k WHERE a.id < 1000;\n")
    for args in (["check", "--config", cfg, "--dsn", slowdb.url, "--analyze", str(tmp_path / "q.sql")],
                 ["health", "--config", cfg, "--dsn", slowdb.url]):
        p = sh(*args, "--format", "json")
        assert p.returncode == 1, p.stderr
        import json

        diags = json.loads(p.stdout)["diagnostics"]
        timeouts = [d for d in diags if d["rule"] == "live-skipped" and "statement timeout" in d["message"]]
        assert timeouts and all(d["severity"] == "info" for d in timeouts)


def test_trace_statement_timeout_is_a_statement_error_not_a_hang(srv, tmp_path):
    (tmp_path / "m.sql").write_text("CREATE TABLE s (a int);\nSELECT pg_sleep(30);\nALTER TABLE s ADD COLUMN b int;\n")
    (tmp_path / "pglint.toml").write_text('statement-timeout = "300ms"\n')
    t = time.time()
    p = sh("trace", "--config", str(tmp_path / "pglint.toml"), "--format", "concise", "--dsn",
           owner_url(srv, "postgres"), str(tmp_path / "m.sql"))
    assert time.time() - t < 20
    assert p.returncode == 1 and "traced-statement-error" in p.stdout and "statement timeout" in p.stdout


# -- read-only servers -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def standby(srv, slowdb):
    with psycopg.connect(slowdb.url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    s = Standby(srv).start()
    deadline = time.time() + 60
    while time.time() < deadline:  # the standby has replayed the primary's databases
        try:
            with psycopg.connect(s.url(slowdb.name), connect_timeout=5) as conn:
                if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    break
        except psycopg.Error:
            time.sleep(0.2)
    yield s
    s.stop()


def test_check_and_health_work_on_a_hot_standby(standby, slowdb, tmp_path):
    (tmp_path / "q.sql").write_text("SELECT * FROM big WHERE k = 3;\n")
    p = sh("check", "--isolated", "--format", "concise", "--dsn", standby.url(slowdb.name), "--analyze",
           "--ignore", "select-star", str(tmp_path / "q.sql"))
    assert p.returncode == 1 and "plan-seq-scan" in p.stdout, p.stdout + p.stderr
    p = sh("health", "--isolated", "--format", "json", "--dsn", standby.url(slowdb.name))
    assert p.returncode in (0, 1), p.stderr


def test_trace_on_a_read_only_server_says_so(srv, standby, tmp_path):
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE t (a int);\n")
    p = sh("trace", "--isolated", "--dsn", standby.url("postgres"), str(tmp_path))
    assert p.returncode == 2 and "read-only" in p.stderr and "CREATEDB" not in p.stderr, p.stderr
    with psycopg.connect(srv.dsn, autocommit=True) as conn:
        conn.execute("ALTER DATABASE postgres SET default_transaction_read_only = on")
        try:
            p = sh("trace", "--isolated", "--dsn", srv.url("postgres"), str(tmp_path))
        finally:
            conn.execute("SET default_transaction_read_only = off")
            conn.execute("ALTER DATABASE postgres RESET default_transaction_read_only")
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'pglint_trace_%'").fetchone()[0]
    assert p.returncode == 2 and "read-only" in p.stderr, p.stderr
    assert left == 0


# -- authentication and privileges ----------------------------------------------------------------------

def test_wrong_password_for_every_command(srv, slowdb, tmp_path):
    wrong = "Wr0ng-" + unique("pw")
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE t (a int);\n")
    for args in (["check", "--isolated", "--dsn", owner_url(srv, slowdb.name, password=wrong), str(tmp_path)],
                 ["health", "--isolated", "--dsn", owner_url(srv, slowdb.name, password=wrong)],
                 ["trace", "--isolated", "--dsn", owner_url(srv, "postgres", password=wrong), str(tmp_path)]):
        p = sh(*args)
        assert p.returncode == 2, (args[0], p.stdout, p.stderr)
        assert "password authentication failed" in p.stderr and wrong not in p.stdout + p.stderr, p.stderr


def test_password_with_an_unencoded_at_is_never_shown(srv, slowdb, tmp_path):
    """libpq reads postgresql://u:Leak@Pw@127.0.0.1/db as password 'Leak' and host
    'Pw@127.0.0.1' (the user info ends at the first @); pglint used to split at the last @,
    showed 127.0.0.1 (not the host libpq tried) and passed on 'Pw' in libpq's message."""
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE t (a int);\n")
    raw = f"postgresql://{AT_USER}:{AT_PASSWORD}@127.0.0.1:{srv.port}/{slowdb.name}"
    for args in (["check", "--isolated", "--dsn", raw, str(tmp_path)],
                 ["health", "--isolated", "--dsn", raw],
                 ["trace", "--isolated", "--dsn", raw, str(tmp_path)]):
        p = sh(*args)
        assert p.returncode == 2, (args[0], p.stdout, p.stderr)
        for part in ("Leak", "Pw"):
            assert part not in p.stdout + p.stderr, (args[0], p.stderr)
        assert "'***@127.0.0.1'" in p.stderr and "%40" in p.stderr, p.stderr  # the host tried, and the fix
        if args[0] != "trace":
            assert f"cannot connect to postgresql://***@127.0.0.1:{srv.port}/" in p.stderr, p.stderr
    # percent-encoded, the same password logs in (and is not shown either)
    encoded = raw.replace(AT_PASSWORD, AT_PASSWORD.replace("@", "%40"))
    p = sh("check", "--isolated", "--dsn", encoded, str(tmp_path))
    assert p.returncode in (0, 1), p.stderr
    p = sh("trace", "--isolated", "--dsn", encoded, str(tmp_path))
    assert p.returncode == 0, p.stderr
    for part in ("Leak", "Pw"):
        assert part not in p.stdout + p.stderr


def test_trace_without_createdb_is_a_clear_message(srv, slowdb, tmp_path):
    role = slowdb.role("pglint_nocreatedb")
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE t (a int);\n")
    p = sh("trace", "--isolated", "--dsn", slowdb.url_as(role).rsplit("/", 1)[0] + "/postgres", str(tmp_path))
    assert p.returncode == 2 and "permission denied to create database" in p.stderr and "CREATEDB" in p.stderr


# -- trace writes nothing outside its scratch database ------------------------------------------------

def shared(srv) -> dict:
    with psycopg.connect(srv.dsn, autocommit=True) as conn:
        def q(sql):
            return conn.execute(sql).fetchall()
        return dict(
            databases=q("SELECT datname, datconnlimit, datallowconn FROM pg_database ORDER BY 1"),
            roles=q("SELECT rolname, rolsuper, rolcreaterole FROM pg_roles ORDER BY 1"),
            members=q("SELECT roleid::regrole::text, member::regrole::text FROM pg_auth_members ORDER BY 1, 2"),
            slots=q("SELECT slot_name FROM pg_replication_slots"),
            tablespaces=q("SELECT spcname FROM pg_tablespace ORDER BY 1"),
            settings=q("SELECT setdatabase, setrole, setconfig FROM pg_db_role_setting ORDER BY 1, 2"),
            comments=q("SELECT objoid, description FROM pg_shdescription ORDER BY 1"),
            auto_conf=q("SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%auto.conf' ORDER BY 1"),
            postgres_tables=q("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1"),
        )


def test_trace_writes_nothing_outside_its_scratch_database(srv, tmp_path):
    sentinel = LiveDB(srv, "pglint_sentinel")
    sentinel.execute("CREATE TABLE sentinel AS SELECT generate_series(1, 10) AS a")
    with psycopg.connect(srv.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS keep_in_postgres (a int)")
    other = f"host=127.0.0.1 port={srv.port} user=postgres dbname={sentinel.name}"
    pwned = tmp_path / "pwned"
    m = tmp_path / "m"
    m.mkdir()
    files = {
        "V1__meta.sql": f"\\c {sentinel.name}\nDROP TABLE IF EXISTS sentinel;\n\\connect postgres\n"
                        f"DROP TABLE IF EXISTS keep_in_postgres;\n\\! touch {pwned}\n",
        "V2__databases.sql": f"CREATE DATABASE pglint_evil_db;\nDROP DATABASE {sentinel.name};\n"
                             f"ALTER DATABASE {sentinel.name} CONNECTION LIMIT 0;\nALTER DATABASE postgres SET work_mem = '1GB';\n",
        "V3__roles.sql": "CREATE ROLE pglint_evil_role;\nALTER ROLE postgres SET work_mem = '2GB';\n"
                         "GRANT pg_read_server_files TO postgres;\nGRANT pg_monitor TO pg_signal_backend;\n",
        "V4__bodies.sql": "DO $$ BEGIN CREATE ROLE pglint_evil_do; END $$;\n"
                          "CREATE FUNCTION mk() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE ROLE pglint_evil_fn; END $$;\n"
                          "SELECT mk();\nCREATE PROCEDURE pr() LANGUAGE sql AS $$ CREATE ROLE pglint_evil_proc $$;\nCALL pr();\n",
        "V5__system.sql": f"ALTER SYSTEM SET work_mem = '3GB';\nCOMMENT ON DATABASE {sentinel.name} IS 'pwned';\n"
                          "CREATE TABLESPACE pglint_evil LOCATION '/tmp';\n",
        "V6__dblink.sql": f"CREATE EXTENSION dblink;\nSELECT dblink_exec('{other}', 'DROP TABLE sentinel');\n"
                          "CREATE EXTENSION postgres_fdw;\n",
        "V7__files.sql": f"COPY (SELECT 1) TO PROGRAM 'touch {pwned}';\nCOPY (SELECT 1) TO '{pwned}';\n"
                         f"SELECT lo_export(lo_from_bytea(0, 'x'), '{pwned}');\n"
                         "SELECT pg_create_physical_replication_slot('pglint_evil_slot');\n"
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid();\n",
        "V8__ok.sql": "CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t ADD COLUMN b int;\n",
    }
    for name, text in files.items():
        (m / name).write_text(text)
    before = shared(srv)
    try:
        r = trace([m], owner_url(srv, "postgres"))
        after = shared(srv)
        with psycopg.connect(sentinel.url, autocommit=True) as conn:
            rows = conn.execute("SELECT count(*) FROM sentinel").fetchone()[0]
    finally:
        sentinel.drop()
    assert after == before
    assert rows == 10
    assert not pwned.exists()
    notes = " ".join(all_notes(r))
    for what in ("CREATE ROLE", "GRANT ROLE", "CREATEDB", "DROPDB", "ALTER SYSTEM", "dblink", "COPY to or from a file",
                 "lo_export()", "pg_create_physical_replication_slot()", "its body holds", "COMMENT on a database",
                 "postgres_fdw", "pg_terminate_backend()"):
        assert what in notes, (what, notes)
    assert not any("changed the server" in n for n in all_notes(r))
    # the harmless file was traced
    assert any(s.sql.startswith("ALTER TABLE t ADD COLUMN b") for s in r.statements)


def trace(paths, dsn=None):
    from pglint.config.settings import Settings
    from pglint.trace.run import run_trace

    return run_trace([str(p) for p in paths], Settings(), dsn=dsn)


def all_notes(r) -> list[str]:
    return list(r.notes) + [n for f in r.files for n in f.notes]


def test_dynamic_sql_that_escapes_the_screening_is_reported(srv, tmp_path):
    """EXECUTE of a computed string cannot be screened; the change to the server is reported."""
    role = unique("pglint_dyn")
    (tmp_path / "V1__a.sql").write_text(
        f"DO $$ BEGIN EXECUTE 'CREATE ROLE ' || '{role}'; END $$;\nCREATE TABLE t (a int);\n")
    try:
        r = trace([tmp_path], owner_url(srv, "postgres"))
    finally:
        with psycopg.connect(srv.dsn, autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {role}")
    notes = all_notes(r)
    assert any("changed the server outside its scratch database" in n and f"role {role} appeared" in n
               for n in notes), notes


def test_embedded_cluster_refuses_files_and_programs(tmp_path):
    """Without --dsn the migrations run in a throwaway cluster; what would touch the machine
    itself (COPY to a file or program, lo_export) is still not run."""
    pwned = tmp_path / "pwned"
    (tmp_path / "V1__a.sql").write_text(f"CREATE TABLE t (a int);\nCOPY t TO PROGRAM 'touch {pwned}';\n"
                                        f"COPY t TO '{pwned}';\nALTER TABLE t ADD COLUMN b int;\n")
    r = trace([tmp_path])
    assert not pwned.exists()
    assert sum("COPY to or from a file or program" in n for n in all_notes(r)) == 2, all_notes(r)
    assert any(s.sql.startswith("ALTER TABLE t ADD COLUMN b") for s in r.statements)

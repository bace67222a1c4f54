"""Live mode without a database: configuration, connection strings, what may be sent,
version switches. (Everything that talks to PostgreSQL is in test_live_check.py and
test_live_health.py, against a real server.)"""

import subprocess
import sys

import pytest

from conftest import ROOT
from pglint.config.settings import ConfigError
from pglint.engine.registry import all_rules
from pglint.live import dsn as dsnmod
from pglint.live.config import GB, MB, LiveConfig, live_config
from pglint.live.safety import Refused, explain_execute_sql, explain_sql, prepare_sql, vet, volatile_calls
from pglint.live.session import generic_plan_method
from pglint.live.statements import columns_for, statements_sql


# -- [tool.pglint.live] --------------------------------------------------------------------

def test_config_defaults_and_units():
    assert live_config(None) == LiveConfig()
    cfg = live_config({"statement-timeout": "250ms", "large-table-size": "2GB", "scan-rate": "100MB/s",
                       "slow-query-mean": "5ms", "large-table-rows": 5, "sequence-threshold": 0.5,
                       "lock-timeout": 300, "long-running": "2min"})
    assert cfg.statement_timeout == 0.25 and cfg.large_table_size == 2 * GB and cfg.scan_rate == 100 * MB
    assert cfg.slow_query_mean == 0.005 and cfg.large_table_rows == 5 and cfg.sequence_threshold == 0.5
    assert cfg.lock_timeout == 0.3 and cfg.long_running == 120


@pytest.mark.parametrize("table,needle", [
    ({"statment-timeout": "5s"}, "unknown key 'statment-timeout' in [tool.pglint.live] (did you mean 'statement-timeout'?)"),
    ({"statement-timeout": "soon"}, "'statement-timeout' must be a duration"),
    ({"statement-timeout": "0s"}, "'statement-timeout' must be more than 0"),
    ({"large-table-rows": -1}, "'large-table-rows' must be a non-negative integer"),
    ({"large-table-rows": True}, "'large-table-rows' must be a non-negative integer"),
    ({"sequence-threshold": 1.5}, "'sequence-threshold' must be a number between 0 and 1"),
    ({"hypopg": "yes"}, "'hypopg' must be true or false"),
    ({"scan-rate": "fast"}, "'scan-rate' must be a rate"),
])
def test_config_errors_name_the_key(table, needle):
    with pytest.raises(ConfigError) as exc:
        live_config(table, "pyproject.toml")
    assert needle in str(exc.value)


def test_cli_rejects_bad_live_config_with_exit_2(pglint_exe, tmp_path):
    (tmp_path / "pglint.toml").write_text('[live]\nlarge-table-rowz = 5\n')
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    p = subprocess.run([pglint_exe, "a.sql"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 2
    assert "unknown key 'large-table-rowz' in [tool.pglint.live]" in p.stderr
    assert "Traceback" not in p.stderr
    (tmp_path / "pglint.toml").write_text('[live]\nslow-query-mean = "fast"\n')
    p = subprocess.run([pglint_exe, "health", "--dsn", "postgresql://127.0.0.1:1/x"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 2 and "'slow-query-mean' must be a duration" in p.stderr


# -- connection strings ---------------------------------------------------------------------

def test_resolve_dsn_order():
    assert dsnmod.resolve_dsn("postgresql://a/b", {"PGLINT_DSN": "postgresql://c/d"}) == "postgresql://a/b"
    assert dsnmod.resolve_dsn(None, {"PGLINT_DSN": "postgresql://c/d"}) == "postgresql://c/d"
    assert dsnmod.resolve_dsn(None, {"PGHOST": "x"}) is None  # PG* variables alone do not turn live mode on
    assert dsnmod.resolve_dsn("", {}) == ""  # '' = connect with the PG* variables


@pytest.mark.parametrize("dsn,shown", [
    ("postgresql://app:s3cr3t!@db.example.com:6543/prod?sslmode=require", "postgresql://db.example.com:6543/prod"),
    ("host=db.example.com port=6543 dbname=prod user=app password='s3 cr3t'", "postgresql://db.example.com:6543/prod"),
    ("postgresql:///prod?host=/var/run/postgresql", "postgresql://%2Fvar%2Frun%2Fpostgresql:5433/prod"),
    ("", "postgresql://envhost:5433/envdb"),
])
def test_display_never_shows_user_or_password(dsn, shown):
    env = {"PGHOST": "envhost", "PGPORT": "5433", "PGDATABASE": "envdb", "PGPASSWORD": "fromenv"}
    assert dsnmod.display(dsn, env=env) == shown


def test_scrub_hides_every_known_password():
    url = "postgresql://app:s3cr3t!@db:5432/prod?password=other1"
    hidden = dsnmod.secrets(url, {"PGPASSWORD": "envpass"})
    assert hidden == ["envpass", "other1"]  # libpq: the query parameter wins over the user info
    msg = 'missing "=" after "other1" and envpass'
    out = dsnmod.scrub(msg, hidden)
    assert "other1" not in out and "envpass" not in out
    assert dsnmod.scrub("user ab failed for ab", ["ab"]) == "user *** failed for ***"


@pytest.mark.parametrize("dsn,shown,hidden", [
    # libpq ends the user info at the first @: the rest of the password is the host it tries
    ("postgresql://u:Leak@Pw@127.0.0.1:5432/db", "postgresql://***@127.0.0.1:5432/db", ["Leak", "Pw"]),
    ("postgresql://u:Leak@Pw@h1:5,h2:6/db", "postgresql://***@h1:5,h2:6/db", ["Leak", "Pw"]),
    # a '/' ends the authority: host 'u', port 'pa', the rest is the database name
    ("postgresql://u:pa/ssword@db.example.com/x", "postgresql://u:***/***%40db.example.com%2Fx", ["ssword", "pa"]),
    # Azure's user@server, not encoded: libpq reads 'corp.com' as the host and 'Pass@db' as the port
    ("postgresql://me@corp.com:Pass@db/x", "postgresql://corp.com:***/x", ["Pass@db", "Pass"]),
    ("postgresql://u:Leak%40Pw@db/x", "postgresql://db:5432/x", ["Leak@Pw"]),
    ("host=h user=me@corp password=pw", "postgresql://h:5432/me%40corp", ["pw"]),  # key=value: nothing spills
    ("host=@abstract dbname=x", "postgresql://%40abstract:5432/x", []),
])
def test_passwords_libpq_reads_as_host_port_or_database_are_hidden(dsn, shown, hidden):
    assert dsnmod.display(dsn, env={}) == shown
    assert dsnmod.secrets(dsn, env={}) == hidden
    assert dsnmod.spilled(dsn) == (hidden not in ([], ["pw"], ["Leak@Pw"]))


@pytest.mark.parametrize("dsn", [
    "host=127.0.0.1 password=Leak Pw",            # libpq: missing "=" after "Pw"
    "postgresql://u:Leak@[Pw/db",                 # libpq quotes the whole URL
    "postgresql://u:Leak%zzPw@h/db",
    "postgresql://u:Leak Pw@h/db",
])
def test_a_string_libpq_cannot_read_is_reported_without_quoting_it(dsn):
    with pytest.raises(dsnmod.BadDsn) as exc:
        dsnmod.parse(dsn)
    assert "invalid connection string" in str(exc.value)
    assert "Leak" not in str(exc.value) and "Pw" not in str(exc.value)
    assert dsnmod.params(dsn) == {} and dsnmod.secrets(dsn, env={}) == []


# -- what may be sent ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "SELECT 1; DROP TABLE t",
    "SELECT 1 /* */; COMMIT; DROP TABLE t",
    "DROP TABLE t",
    "SET statement_timeout = 0",
    "COPY t FROM PROGRAM 'rm -rf /'",
    "DO $$ BEGIN DELETE FROM t; END $$",
    "CALL p()",
    "COMMIT",
    "BEGIN",
    "SELECT * INTO newt FROM t",
    "CREATE TABLE x AS SELECT 1",
    "EXPLAIN ANALYZE DELETE FROM t",
    "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
    "",
    "SELEC 1",
])
def test_only_one_query_is_accepted(text):
    with pytest.raises(Refused):
        vet(text)


def test_vet_reads_queries():
    q = vet("SELECT * FROM t WHERE a = $1 AND b = $2;")
    assert q.type == "SelectStmt" and q.params == 2 and q.read_only and q.text.endswith("$2")
    assert vet("VALUES (1), (2)").read_only
    assert vet("WITH x AS (SELECT 1) SELECT * FROM x").read_only
    w = vet("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d")
    assert not w.read_only and "modifies data" in w.not_read_only
    assert not vet("SELECT * FROM t FOR UPDATE").read_only
    assert not vet("UPDATE t SET a = 1").read_only
    assert vet("SELECT f(1), pg_catalog.g(x) FROM t").functions == ("f", "g")


def test_analyze_refused_for_writes_and_volatile_calls():
    with pytest.raises(Refused, match="not run with ANALYZE"):
        explain_sql(vet("DELETE FROM t"), analyze=True)
    q = vet("SELECT bump(), random(), lower(x), now() FROM t")
    # only IMMUTABLE and STABLE functions may run: random() is volatile too (it used to be let through)
    assert volatile_calls(q, {"bump": "v", "random": "v", "lower": "i", "now": "s"}) == ["bump", "random"]
    assert volatile_calls(vet("SELECT unknown_fn()"), {}) == ["unknown_fn"]
    # declared STABLE in the catalog, but assigns a transaction ID
    assert volatile_calls(vet("SELECT txid_current(), pg_current_xact_id()"),
                          {"txid_current": "s", "pg_current_xact_id": "s"}) == ["txid_current", "pg_current_xact_id"]


@pytest.mark.parametrize("text,planned", [
    ("SELECT txid_current()", []),                                       # the select list: never evaluated by the planner
    ("SELECT coalesce(txid_current(), 0) AS x FROM t ORDER BY 1", []),
    ("SELECT * FROM t WHERE id = txid_current()", ["txid_current"]),     # estimated: the planner runs it
    ("SELECT txid_current() FROM t LIMIT pg_current_xact_id()::text::int", ["pg_current_xact_id"]),
    ("SELECT (SELECT txid_current())", ["txid_current"]),
    ("SELECT x FROM (SELECT txid_current() AS x) s WHERE x > 1", ["txid_current"]),  # pulled up into the WHERE
    ("SELECT txid_current() UNION SELECT 1", ["txid_current"]),
    ("SELECT table_to_xml('t', true, true, '')", []),
    ("SELECT 1 FROM t WHERE table_to_xml('t', true, true, '') IS NOT NULL", ["table_to_xml"]),
])
def test_where_the_planner_may_run_a_function(text, planned):
    from pglint.live.safety import planned_calls_not_as_declared

    assert planned_calls_not_as_declared(vet(text)) == planned


def test_wrappers_are_checked():
    q = vet("SELECT * FROM t WHERE a = $1")
    assert explain_sql(q) == "EXPLAIN (FORMAT JSON, VERBOSE) SELECT * FROM t WHERE a = $1"
    assert explain_sql(q, generic=True).startswith("EXPLAIN (FORMAT JSON, VERBOSE, GENERIC_PLAN) ")
    assert prepare_sql(q, "pglint_3") == "PREPARE pglint_3 AS SELECT * FROM t WHERE a = $1"
    assert explain_execute_sql("pglint_3", 2) == "EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE pglint_3(NULL, NULL)"
    with pytest.raises(Refused):
        prepare_sql(q, "x; DROP TABLE t")
    with pytest.raises(Refused):
        explain_execute_sql("other", 0)


def test_generic_plan_method_by_server_version():
    assert generic_plan_method(130012) == "prepare"
    assert generic_plan_method(150018) == "prepare"
    assert generic_plan_method(160000) == "generic_plan"
    assert generic_plan_method(180001) == "generic_plan"


@pytest.mark.parametrize("version,total,toplevel,io", [
    ((1, 7), "s.total_time", None, "s.blk_read_time"),
    ((1, 8), "s.total_exec_time + s.total_plan_time", None, "s.blk_read_time"),
    ((1, 9), "s.total_exec_time + s.total_plan_time", "s.toplevel", "s.blk_read_time"),
    ((1, 10), "s.total_exec_time + s.total_plan_time", "s.toplevel", "s.blk_read_time"),
    ((1, 11), "s.total_exec_time + s.total_plan_time", "s.toplevel", "s.shared_blk_read_time"),
    ((1, 12), "s.total_exec_time + s.total_plan_time", "s.toplevel", "s.shared_blk_read_time"),
])
def test_pg_stat_statements_columns_by_extension_version(version, total, toplevel, io):
    c = columns_for(version)
    assert c["total"] == total and c["toplevel"] == toplevel and c["io_time"].startswith(io)
    sql = statements_sql("my schema", version)
    assert '"my schema".pg_stat_statements' in sql and total in sql
    assert ("s.toplevel" in sql) == (toplevel is not None)


# -- registry and start-up ----------------------------------------------------------------------

def test_live_rules_are_outside_the_engine():
    live = [r for r in all_rules().values() if r.category == "live"]
    required = {"large-table-lock", "plan-seq-scan", "plan-nested-loop-scan", "plan-sort-disk", "plan-hash-batches",
                "plan-estimate-mismatch", "plan-missing-index", "hot-query", "unused-index", "duplicate-index",
                "invalid-index", "sequence-exhaustion", "xid-wraparound", "table-bloat", "slow-query",
                "cache-hit-ratio", "long-running-query", "idle-in-transaction"}
    assert required <= {r.name for r in live}
    assert all(not r.engine and r.code.startswith("PG7") for r in live)


def test_psycopg_is_not_imported_without_live_mode(tmp_path):
    f = tmp_path / "a.sql"
    f.write_text("CREATE INDEX i ON t (a);\n")
    code = ("import sys; from pglint.cli import main; rc = main(['check', '--format', 'json', %r]); "
            "sys.stdout.flush(); print('PSYCOPG' if any(m.startswith('psycopg') for m in sys.modules) else 'NONE', "
            "file=sys.stderr); sys.exit(rc)" % str(f))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 1, p.stderr
    assert p.stderr.strip().endswith("NONE")


def test_live_suppressions_are_not_unused_in_a_static_run():
    from conftest import lint

    diags = lint("-- pglint: ignore[plan-seq-scan] reads the whole table on purpose\nSELECT a FROM t WHERE a = 1;\n")
    assert [d.rule for d in diags] == []

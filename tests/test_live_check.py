"""``pglint check --dsn`` against a real PostgreSQL: catalog seeding, table sizes, plan
rules, hypopg, pg_stat_statements, and the safety rules of the live session."""

import time

import psycopg
import pytest

from conftest import extension_available, require_extension
from live_db import LiveDB, rules, run_cli, run_json, write_config
from pglint.live.config import LiveConfig
from pglint.live.safety import vet
from pglint.live.session import Session, Skipped

pytestmark = pytest.mark.postgres

ORDERS = 200_000
SCHEMA = f"""
CREATE EXTENSION pg_stat_statements;
CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL, name text);
INSERT INTO customers SELECT i, 'r' || (i % 50), 'name ' || i FROM generate_series(1, 20000) i;
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers (id),
    status text NOT NULL,
    amount numeric(10, 2) NOT NULL,
    note varchar(50),
    bucket int NOT NULL,
    bucket2 int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_note_present CHECK (note IS NOT NULL)
);
INSERT INTO orders
SELECT i, 1 + (i * 7919) % 20000, (ARRAY['new', 'paid', 'shipped', 'done'])[1 + i % 4], (i % 1000) / 10.0,
       'note ' || (i % 97), i % 100, i % 100, now() - make_interval(secs => i)
FROM generate_series(1, {ORDERS}) i;
CREATE TABLE tiny (id int PRIMARY KEY, label text);
INSERT INTO tiny SELECT i, 'l' || i FROM generate_series(1, 50) i;
CREATE MATERIALIZED VIEW order_totals AS SELECT id, customer_id, amount FROM orders;
CREATE TABLE victim (id int);
INSERT INTO victim VALUES (1);
CREATE TABLE audit (id int);
CREATE SEQUENCE side_seq;
CREATE FUNCTION bump() RETURNS int VOLATILE LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit VALUES (1); RETURN 1; END $$;
CREATE TABLE shapes (id int PRIMARY KEY, b box NOT NULL, k int NOT NULL);
INSERT INTO shapes SELECT i, box(point(i, i), point(i + 1, i + 1)), i % 1000 FROM generate_series(1, 50000) i;
CREATE FUNCTION grab_lock() RETURNS bigint VOLATILE LANGUAGE sql AS 'SELECT pg_advisory_lock(4242)::text::bigint';
ANALYZE;
"""


@pytest.fixture(scope="module")
def db(pg_cluster):
    d = LiveDB(pg_cluster, "pglint_check")
    t = time.perf_counter()
    if extension_available(pg_cluster, "hypopg"):  # optional: the tests that need it ask for `hypopg`
        d.execute("CREATE EXTENSION hypopg")
    d.execute(SCHEMA)
    d.setup_seconds = time.perf_counter() - t
    yield d
    d.drop()


@pytest.fixture
def hypopg(db):
    """The test needs hypopg (plan-missing-index): skipped outside CI when it is not installed."""
    require_extension(db.cluster, "hypopg")
    return db


def sql_file(tmp_path, text, name="q.sql"):
    f = tmp_path / name
    f.write_text(text)
    return str(f)


def check(db, tmp_path, text, *extra, **live):
    """pglint check --dsn on ``text``; select-star is off, as these queries use * freely (the
    live catalog expanding * is tested on its own)."""
    cfg = write_config(tmp_path, **live)
    return run_json("check", "--config", cfg, "--dsn", db.url, "--ignore", "select-star", *extra,
                    sql_file(tmp_path, text))


# -- catalog seeding ---------------------------------------------------------------------------

def test_catalog_seeds_the_schema_model(db):
    from pglint.live import catalog

    with Session.connect(db.url, LiveConfig()) as s:
        snap = catalog.load(s, ["ALTER TABLE orders ..."])
    m = snap.model
    orders = m.tables[("public", "orders")]
    assert orders.origin is None and orders.complete
    assert orders.columns["note"].type.display() == "varchar(50)"
    assert orders.columns["amount"].type.display() == "numeric(10,2)"
    assert orders.columns["id"].type.name == "int8" and orders.columns["id"].not_null
    assert orders.columns["created_at"].default is not None  # read for the tables the files name
    fk = next(c for c in orders.constraints.values() if c.kind == "f")
    assert fk.columns == ("customer_id",) and fk.ref_table == ("public", "customers") and fk.validated
    chk = orders.constraints["orders_note_present"]
    assert chk.kind == "c" and chk.expr is not None and "NullTest" in chk.expr
    assert m.indexes[("public", "orders_pkey")].columns == ("id",)
    assert m.functions["bump"].volatility == "v"
    assert ("public", "side_seq") in m.sequences
    st = snap.stats["public.orders"]
    assert st.rows == ORDERS and st.exact and st.total_bytes > st.heap_bytes > 10_000_000
    assert snap.stats["public.customers"].exact is False  # not named by the files: relpages estimate
    assert snap.volatility["random"] == "v"


def test_model_makes_static_rules_exact(db, tmp_path):
    text = ("SET lock_timeout = '2s';\n"
            "ALTER TABLE orders ALTER COLUMN note TYPE text;\n"          # binary compatible: no rewrite
            "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;\n")      # a validated CHECK proves it: no scan
    f = sql_file(tmp_path, text)
    _, static = run_json("check", "--isolated", f)
    assert rules(static) == ["column-type-rewrite", "set-not-null-scan"]  # without the catalog pglint must guess
    _, live = run_json("check", "--isolated", "--dsn", db.url, f)
    assert rules(live) == []
    _, live = run_json("check", "--isolated", "--dsn", db.url,
                       sql_file(tmp_path, "SET lock_timeout = '2s';\nALTER TABLE orders ALTER COLUMN note TYPE varchar(20);\n", "b.sql"))
    assert rules(live) == ["column-type-rewrite"] and "from varchar(50) to varchar(20)" in live[0]["message"]


# -- sizes -----------------------------------------------------------------------------------------

def test_locking_findings_carry_size_and_severity(db, tmp_path):
    text = "SET lock_timeout = '2s';\nCREATE INDEX orders_status ON orders (status);\nCREATE INDEX tiny_label ON tiny (label);\n"
    _, diags = check(db, tmp_path, text, large_table_rows=100_000, small_table_rows=1000)
    big, small = [d for d in diags if d["rule"] == "index-not-concurrent"]
    assert big["severity"] == "error" and small["severity"] == "info"
    t = big["extra"]["table"]
    assert t["relation"] == "public.orders" and t["rows_estimate"] == ORDERS and t["work"] == "build"
    assert t["total_bytes"] > 10_000_000 and t["lock_seconds_estimate"] > 0
    assert "public.orders: ~200k rows" in big["message"] + big["help"]  # on the first line when it fits
    assert small["extra"]["table"]["rows_estimate"] == 50
    # defaults (1M rows / 1 GB): a 200k-row table keeps the rule's own severity
    _, diags = check(db, tmp_path, text)
    assert {d["severity"] for d in diags if d["rule"] == "index-not-concurrent"} == {"warning", "info"}


def test_explicit_severity_is_kept(db, tmp_path):
    (tmp_path / "pglint.toml").write_text('severity = { "index-not-concurrent" = "warning" }\n[live]\nlarge-table-rows = 10\n')
    _, diags = run_json("check", "--config", str(tmp_path / "pglint.toml"), "--dsn", db.url,
                        sql_file(tmp_path, "SET lock_timeout = '1s';\nCREATE INDEX x ON orders (status);\n"))
    assert [d["severity"] for d in diags] == ["warning"] and "table" in diags[0]["extra"]


def test_large_table_lock(db, tmp_path):
    text = ("SET lock_timeout = '2s';\n"
            "REFRESH MATERIALIZED VIEW order_totals;\n"               # ACCESS EXCLUSIVE for the whole query
            "REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;\n"  # reads go on
            "UPDATE orders SET note = 'x';\n"                         # every row locked
            "UPDATE orders SET note = 'x' WHERE id = 1;\n"
            "VACUUM FULL orders;\n"                                   # table-rewrite already says it
            "UPDATE tiny SET label = 'x';\n")
    _, diags = check(db, tmp_path, text, large_table_rows=100_000)
    ltl = [d for d in diags if d["rule"] == "large-table-lock"]
    assert [d["line"] for d in ltl] == [2]
    assert ltl[0]["severity"] == "error" and "ACCESS EXCLUSIVE lock on public.order_totals" in ltl[0]["message"]
    # the UPDATE without WHERE is update-without-where's finding, weighed by the table's size
    (uw,) = [d for d in diags if d["rule"] == "update-without-where" and d["line"] == 4]
    assert uw["extra"]["table"]["rows_estimate"] == ORDERS
    rewrite = [d for d in diags if d["rule"] == "table-rewrite"]
    assert rewrite and rewrite[0]["severity"] == "error"
    # below the threshold: quiet
    _, diags = check(db, tmp_path, text)
    assert "large-table-lock" not in rules(diags)


# -- plans -------------------------------------------------------------------------------------------

def test_plan_seq_scan_and_missing_index(db, hypopg, tmp_path):
    text = ("SELECT * FROM orders WHERE customer_id = 42;\n"
            "SELECT * FROM orders WHERE id = 42;\n"              # primary key
            "SELECT count(*) FROM orders WHERE amount >= 0;\n"   # not selective: a Seq Scan is right
            "SELECT * FROM tiny WHERE label = 'l1';\n")          # small table
    _, diags = check(db, tmp_path, text)
    assert [(d["rule"], d["line"]) for d in diags] == [("plan-seq-scan", 1), ("plan-missing-index", 1)]
    seq, idx = diags
    assert seq["column"] == 15 and "Seq Scan on public.orders (200k rows" in seq["message"]
    assert idx["extra"]["index"] == "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);"
    assert idx["extra"]["cost_after"] <= idx["extra"]["cost_before"] * 0.5
    assert idx["extra"]["cost_before"] > 1000


def test_missing_index_skips_columns_hypopg_cannot_index(db, hypopg, tmp_path):
    # box has no btree operator class: that hypothetical index fails, the other one is tried
    _, diags = check(db, tmp_path, "SELECT * FROM shapes WHERE b && box '((0,0),(1,1))' AND k = 5;\n")
    idx = [d for d in diags if d["rule"] == "plan-missing-index"]
    assert len(idx) == 1 and idx[0]["extra"]["columns"] == ["k"]
    assert "live-skipped" not in rules(diags)


def test_missing_index_needs_hypopg_setting(db, hypopg, tmp_path):
    _, diags = check(db, tmp_path, "SELECT * FROM orders WHERE customer_id = 42;\n", hypopg=False)
    assert rules(diags) == ["plan-seq-scan"]


def test_parameters_use_prepare_and_a_generic_plan_before_pg16(db, hypopg, tmp_path):
    with Session.connect(db.url, LiveConfig()) as s:
        assert s.server_version_num < 160000  # the local server: the PREPARE path runs for real
        with s.transaction():
            plan = s.explain(vet("SELECT * FROM orders WHERE customer_id = $1 AND status = $2"))
            left = s.fetch("SELECT count(*) FROM pg_prepared_statements")[0][0]
    from pglint.live.plans import walk

    scan = next(n for n, _ in walk(plan["Plan"]) if n["Node Type"] == "Seq Scan")
    assert "$1" in scan["Filter"] and "$2" in scan["Filter"]
    assert left == 0
    _, diags = check(db, tmp_path, "SELECT * FROM orders WHERE customer_id = $1;\n")
    assert rules(diags) == ["plan-missing-index", "plan-seq-scan"]


def test_plan_nested_loop_scan(db, tmp_path):
    text = ("SELECT count(*) FROM customers c JOIN tiny t ON t.label <> c.region WHERE c.id < 5000;\n"
            "SELECT * FROM customers c JOIN orders o ON o.id = c.id WHERE c.id < 10;\n")
    _, diags = check(db, tmp_path, text)
    nl = [d for d in diags if d["rule"] == "plan-nested-loop-scan"]
    assert [d["line"] for d in nl] == [1], diags
    assert "Seq Scan on public.tiny" in nl[0]["message"] and nl[0]["extra"]["outer_rows"] >= 1000
    assert "plan-seq-scan" not in rules(diags)


@pytest.fixture(scope="module")
def lowmem(db):
    """A role whose sessions have work_mem = 64kB in this database (sorts and hashes spill)."""
    role = db.role("pglint_lowmem", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    db.execute(f'ALTER ROLE "{role}" IN DATABASE "{db.name}" SET work_mem = \'64kB\'')
    return db.url_as(role)


def test_analyze_rules(db, lowmem, tmp_path):
    text = ("SELECT * FROM orders ORDER BY note, amount;\n"
            "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id;\n"
            "SELECT count(*) FROM orders WHERE bucket = 5 AND bucket2 = 5;\n"
            "SELECT * FROM tiny ORDER BY label;\n")
    cfg = write_config(tmp_path, hypopg=False, seq_scan_rows=10_000_000)
    _, plain = run_json("check", "--config", cfg, "--dsn", lowmem, "--ignore", "select-star", sql_file(tmp_path, text))
    assert rules(plain) == []  # these rules need --analyze
    _, diags = run_json("check", "--config", cfg, "--dsn", lowmem, "--analyze", "--ignore", "select-star",
                        sql_file(tmp_path, text))
    got = {(d["rule"], d["line"]) for d in diags}
    assert ("plan-sort-disk", 1) in got
    assert ("plan-hash-batches", 2) in got
    assert ("plan-estimate-mismatch", 3) in got
    assert not any(line == 4 for _, line in got)
    mm = next(d for d in diags if d["rule"] == "plan-estimate-mismatch")
    assert mm["extra"]["factor"] >= 10 and mm["extra"]["actual_rows"] * mm["extra"]["loops"] == 2000
    sort = next(d for d in diags if d["rule"] == "plan-sort-disk")
    assert "work_mem is 64kB" in sort["message"] and sort["extra"]["analyze"] is True


# -- pg_stat_statements ------------------------------------------------------------------------------

def test_hot_query_from_pg_stat_statements(db, tmp_path):
    with db.connect() as c:
        for i in range(30):
            c.execute("SELECT count(*) FROM orders WHERE status = %s AND amount > %s", ["paid", i])
        for i in range(30):
            c.execute("SELECT * FROM customers WHERE id = %s", [i + 1])
    text = ("SELECT count(*) FROM orders WHERE status = 'new' AND amount > 50;\n"
            "SELECT * FROM customers WHERE id = 7;\n")
    _, diags = check(db, tmp_path, text, slow_query_calls=20, slow_query_mean="1ms", hypopg=False)
    hot = [d for d in diags if d["rule"] == "hot-query"]
    assert [d["line"] for d in hot] == [1]
    s = hot[0]["extra"]["pg_stat_statements"]
    assert s["calls"] >= 30 and s["mean_ms"] >= 1 and 0 < s["share"] <= 1
    _, diags = check(db, tmp_path, text, hypopg=False)  # pghero's 100 calls / 20 ms: not hot
    assert "hot-query" not in rules(diags)


# -- safety ---------------------------------------------------------------------------------------------

def _victim_ok(db):
    return db.scalar("SELECT count(*) FROM victim") == 1


@pytest.mark.parametrize("text", [
    "SELECT 1; DROP TABLE victim;\n",
    "SELECT 1 /* */; COMMIT; DROP TABLE victim;\n",
    "BEGIN; SELECT 1; COMMIT; TRUNCATE victim; DELETE FROM victim; DROP TABLE victim;\n",
    "COPY victim FROM stdin;\n2\n\\.\nDO $$ BEGIN DELETE FROM victim; END $$;\nSET default_transaction_read_only = off;\n",
])
def test_statements_from_the_file_never_change_the_database(db, tmp_path, text):
    rc, out, err = run_cli("check", "--isolated", "--dsn", db.url, "--analyze", sql_file(tmp_path, text))
    assert rc in (0, 1), err
    assert _victim_ok(db)


def test_multi_statement_text_is_refused_by_the_server(db):
    """The extended protocol itself refuses a second statement (checked on the server, not by pglast)."""
    with Session.connect(db.url, LiveConfig()) as s:
        with pytest.raises(Skipped) as exc:
            with s.transaction("sending two statements"):
                s._send("EXPLAIN SELECT 1; DROP TABLE victim")
        assert "cannot insert multiple commands into a prepared statement" in exc.value.reason
    assert _victim_ok(db)


def test_side_effects_under_analyze_change_nothing(db, tmp_path):
    before = db.scalar("SELECT last_value FROM side_seq")
    text = ("SELECT bump();\n"
            "SELECT nextval('side_seq');\n"
            "SELECT pg_advisory_lock(4242);\n"
            "SELECT grab_lock();\n"
            "SELECT bump() FROM orders WHERE id = 1;\n")
    _, diags = check(db, tmp_path, text, "--analyze")
    assert db.scalar("SELECT count(*) FROM audit") == 0
    assert db.scalar("SELECT last_value FROM side_seq") == before
    assert db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
    skipped = [d for d in diags if d["rule"] == "live-skipped"]
    assert len(skipped) == 5 and all("Not run with EXPLAIN ANALYZE" in d["message"] for d in skipped)


def test_session_is_read_only_with_timeouts_and_rolled_back(db):
    cfg = LiveConfig(statement_timeout=3.0, lock_timeout=0.5)
    with Session.connect(db.url, cfg) as s:
        with s.transaction():
            ro, st, lt, app = s.fetch("SELECT current_setting('transaction_read_only'), "
                                      "current_setting('statement_timeout'), current_setting('lock_timeout'), "
                                      "current_setting('application_name')")[0]
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                s.conn.execute("INSERT INTO victim VALUES (2)")
        assert s.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        with pytest.raises(Skipped):
            with s.transaction("a failing query"):
                s.fetch("SELECT * FROM no_such_table")
        assert s.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        # outside pglint's transactions the session is still read-only by default
        assert s.conn.execute("SHOW default_transaction_read_only").fetchone()[0] == "on"
    assert (ro, st, lt, app) == ("on", "3s", "500ms", "pglint")
    assert _victim_ok(db)


def test_statement_timeout_skips_with_info(db, tmp_path):
    text = "SELECT count(*) FROM orders a, orders b WHERE a.amount + b.amount < 0;\n"
    t = time.perf_counter()
    rc, diags = check(db, tmp_path, text, "--analyze", statement_timeout="300ms", hypopg=False,
                      seq_scan_rows=10_000_000, nested_loop_rows=10_000_000)
    assert time.perf_counter() - t < 10
    assert rc == 1 and [(d["rule"], d["severity"]) for d in diags] == [("live-skipped", "info")]
    assert "statement timeout" in diags[0]["message"]


def test_lock_timeout_and_lock_free_catalog(db, tmp_path):
    holder = db.connect(autocommit=False)
    holder.execute("LOCK TABLE victim IN ACCESS EXCLUSIVE MODE")
    try:
        t = time.perf_counter()
        # the catalog is read without locks: a file that does not name the locked table is not slowed down
        rc, diags = check(db, tmp_path, "SELECT * FROM tiny WHERE id = 1;\n", lock_timeout="300ms")
        assert rc == 0 and diags == []
        # naming it: exact sizes cannot be read (info), the EXPLAIN waits 300 ms and is skipped (info)
        rc, diags = check(db, tmp_path, "SELECT * FROM victim;\n", lock_timeout="300ms")
        assert time.perf_counter() - t < 10
        kinds = sorted(d["extra"]["kind"] for d in diags)
        assert rules(diags) == ["live-skipped", "live-skipped"] and kinds == ["lock timeout", "lock timeout"]
    finally:
        holder.rollback()
        holder.close()


def test_permission_error_on_one_query_is_an_info(db, tmp_path):
    role = db.role("pglint_ro", "GRANT SELECT ON tiny TO {role}")
    text = "SELECT * FROM tiny WHERE id = 1;\nSELECT * FROM orders WHERE customer_id = 1;\n"
    rc, diags = run_json("check", "--isolated", "--ignore", "select-star", "--dsn", db.url_as(role),
                         sql_file(tmp_path, text))
    assert [(d["rule"], d["line"], d["severity"]) for d in diags] == [("live-skipped", 2, "info")]
    assert "permission denied" in diags[0]["message"]


# -- connection problems ------------------------------------------------------------------------------------

def test_unreachable_server_exits_2_without_password(tmp_path, pglint_exe):
    import subprocess

    from pglint.trace.cluster import free_port

    f = sql_file(tmp_path, "SELECT 1;\n")
    url = f"postgresql://app:Sup3rS3cret@127.0.0.1:{free_port()}/db"
    p = subprocess.run([pglint_exe, "check", "--isolated", "--dsn", url, f], capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "cannot connect to postgresql://127.0.0.1:" in p.stderr and "/db" in p.stderr
    assert "Sup3rS3cret" not in p.stdout + p.stderr
    p = subprocess.run([pglint_exe, "health", "--dsn", url], capture_output=True, text=True)
    assert p.returncode == 2 and "Sup3rS3cret" not in p.stdout + p.stderr


def test_unknown_database_and_bad_dsn_exit_2(db, tmp_path):
    f = sql_file(tmp_path, "SELECT 1;\n")
    rc, out, err = run_cli("check", "--isolated", "--dsn", db.url + "_nope", f)
    assert rc == 2 and "does not exist" in err
    rc, out, err = run_cli("check", "--isolated", "--dsn", "host=127.0.0.1 password=Pw0rdXYZ junk", f)
    assert rc == 2 and "Pw0rdXYZ" not in out + err and "cannot connect" in err


def test_no_connect_privilege_exits_2(db, tmp_path):
    role = db.role("pglint_noconn")
    db.execute(f'REVOKE CONNECT ON DATABASE "{db.name}" FROM PUBLIC')
    try:
        rc, out, err = run_cli("check", "--isolated", "--dsn", db.url_as(role), sql_file(tmp_path, "SELECT 1;\n"))
    finally:
        db.execute(f'GRANT CONNECT ON DATABASE "{db.name}" TO PUBLIC')
    assert rc == 2 and "permission denied for database" in err


def test_connect_timeout_exits_2(tmp_path):
    """A server that accepts the TCP connection and never answers."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    f = sql_file(tmp_path, "SELECT 1;\n")
    cfg = write_config(tmp_path, connect_timeout="2s")
    t = time.perf_counter()
    try:
        rc, out, err = run_cli("check", "--config", cfg, "--dsn", f"postgresql://u:Secr3tPw@127.0.0.1:{port}/db", f)
    finally:
        silent.close()
    elapsed = time.perf_counter() - t
    assert rc == 2 and f"cannot connect to postgresql://127.0.0.1:{port}/db" in err and "timeout" in err
    assert "Secr3tPw" not in out + err and 1.5 < elapsed < 15


def test_server_version_is_the_target_unless_given(db, tmp_path):
    # before PostgreSQL 11 a constant DEFAULT rewrote the table
    f = sql_file(tmp_path, "SET lock_timeout = '1s';\nALTER TABLE tiny ADD COLUMN flag int DEFAULT 0;\n")
    _, diags = run_json("check", "--isolated", "--dsn", db.url, f)
    assert rules(diags) == []  # the server is 15
    _, diags = run_json("check", "--isolated", "--dsn", db.url, "--pg-version", "10", f)
    assert rules(diags) == ["add-column-rewrites"]


def test_dsn_from_environment(db, tmp_path, monkeypatch):
    f = sql_file(tmp_path, "SELECT * FROM orders WHERE customer_id = 42;\n")
    monkeypatch.setenv("PGLINT_DSN", db.url)
    rc, diags = run_json("check", "--isolated", "--ignore", "select-star", f)
    assert "plan-seq-scan" in rules(diags)
    monkeypatch.delenv("PGLINT_DSN")
    for k, v in {"PGHOST": "127.0.0.1", "PGPORT": str(db.cluster.port), "PGUSER": "postgres",
                 "PGDATABASE": db.name}.items():
        monkeypatch.setenv(k, v)
    rc, diags = run_json("check", "--isolated", "--ignore", "select-star", f)
    assert diags == []  # PG* variables alone: no live mode
    rc, diags = run_json("check", "--isolated", "--ignore", "select-star", "--dsn", "", f)
    assert "plan-seq-scan" in rules(diags)


def test_live_rules_follow_select_ignore_and_suppressions(db, hypopg, tmp_path):
    text = ("-- pglint: ignore[plan-missing-index] known, the index is in the next release\n"
            "SELECT * FROM orders WHERE customer_id = 42;\n")
    _, diags = check(db, tmp_path, text)
    assert rules(diags) == ["plan-seq-scan"]
    _, diags = check(db, tmp_path, text, "--ignore", "plan-seq-scan")
    assert diags == []


def test_full_format_shows_live_findings(db, hypopg, tmp_path):
    rc, out, err = run_cli("check", "--isolated", "--dsn", db.url, "--no-color",
                           sql_file(tmp_path, "SELECT * FROM orders WHERE customer_id = 42;\n"))
    assert rc == 1
    flat = " ".join(out.split())  # help is wrapped at 100 columns in a file or a pipe
    assert "plan-missing-index (PG707)" in out and "CREATE INDEX CONCURRENTLY orders_customer_id_idx" in flat


def test_timing_of_a_live_run(db, hypopg, tmp_path):
    """Not a benchmark: records what a live run costs next to the static one (printed with -s)."""
    text = "".join(f"SELECT * FROM orders WHERE customer_id = {i};\n" for i in range(20))
    f = sql_file(tmp_path, text)
    t = time.perf_counter()
    run_json("check", "--isolated", f)
    static = time.perf_counter() - t
    t = time.perf_counter()
    _, diags = run_json("check", "--isolated", "--dsn", db.url, f)
    live = time.perf_counter() - t
    assert len([d for d in diags if d["rule"] == "plan-missing-index"]) == 20
    print(f"\n20 queries: static {static * 1000:.0f} ms, live {live * 1000:.0f} ms "
          f"(setup of {ORDERS} orders: {db.setup_seconds:.1f} s)")


def test_large_table_lock_is_not_silenced_by_a_suppression_of_another_rule(db, tmp_path):
    text = ("SET lock_timeout = '2s';\n"
            "-- pglint: ignore[index-not-concurrent] the table has 40 rows\n"
            "CREATE INDEX orders_status ON orders (status);\n")
    _, diags = check(db, tmp_path, text, large_table_rows=100_000)
    assert [(d["rule"], d["line"]) for d in diags] == [("large-table-lock", 3)]
    assert "SHARE lock on public.orders" in diags[0]["message"] and diags[0]["extra"]["table"]["work"] == "build"


def test_select_star_expands_with_the_live_catalog(db, tmp_path):
    """The catalog seeds the model: the help lists orders' real columns, and the fix
    writes them."""
    text = "CREATE OR REPLACE VIEW recent AS SELECT * FROM orders WHERE created_at > now() - interval '1 day';\n"
    _, diags = run_json("check", "--isolated", "--select", "select-star", "--dsn", db.url, sql_file(tmp_path, text))
    (d,) = diags
    cols = "id, customer_id, status, amount, note, bucket, bucket2, created_at"
    assert d["help"].endswith(f"today it expands to: {cols}.")
    assert d["fix"]["applicability"] == "unsafe" and d["fix"]["edits"][0]["text"] == cols
    _, static = run_json("check", "--isolated", "--select", "select-star", sql_file(tmp_path, text))
    assert static[0]["fix"]["applicability"] == "display-only"  # without the catalog the columns are unknown


def test_backfill_in_migration_is_weighed_by_table_size(db, tmp_path):
    # issue 18: the backfill's severity follows the table's size, like a rewrite's
    text = ("UPDATE orders SET note = 'x' WHERE note IS NULL;\n"
            "UPDATE tiny SET label = 'x' WHERE label IS NULL;\n")
    _, diags = check(db, tmp_path, text, large_table_rows=100_000, small_table_rows=1000)
    big, small = [d for d in diags if d["rule"] == "backfill-in-migration"]
    assert big["severity"] == "error" and big["extra"]["table"]["work"] == "backfill"
    assert big["extra"]["table"]["rows_estimate"] == ORDERS and "the backfill holds the lock" in big["help"]
    assert small["severity"] == "info" and small["extra"]["table"]["rows_estimate"] == 50

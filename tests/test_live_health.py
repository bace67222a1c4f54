"""``pglint health`` against real PostgreSQL servers: each check fires where it should and
stays quiet where it should. Most tests use a database of their own in the shared test
cluster; a second cluster of this module (no pg_stat_statements preload, 1 MB of shared
buffers, password authentication for one role) covers what needs server settings."""

import threading
import time

import psycopg
import pytest

from conftest import IN_CI
from live_db import LiveDB, rules, run_cli, run_json, unique, write_config
from pglint.live.health import XID_LIMIT

pytestmark = pytest.mark.postgres

SETUP = """
CREATE EXTENSION pg_stat_statements;
CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL, plan text NOT NULL,
                       created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO accounts (email, plan, created_at)
SELECT 'user' || i || '@example.com', (ARRAY['free', 'pro', 'team'])[1 + i % 3], now() - make_interval(mins => i)
FROM generate_series(1, 100000) i;
CREATE INDEX accounts_plan_idx ON accounts (plan, created_at);
CREATE INDEX accounts_email_idx ON accounts (email);

CREATE TABLE dup_t (id int PRIMARY KEY, a int, b int, c int, d int);
INSERT INTO dup_t SELECT i, i, i, i, i FROM generate_series(1, 1000) i;
CREATE INDEX dup_b1 ON dup_t (b);
CREATE INDEX dup_b2 ON dup_t (b);
CREATE INDEX dup_c ON dup_t (c);
CREATE INDEX dup_cd ON dup_t (c, d);
CREATE UNIQUE INDEX dup_u ON dup_t (a);
CREATE INDEX dup_ab ON dup_t (a, b);
CREATE INDEX dup_d_partial ON dup_t (d) WHERE d > 10;
CREATE INDEX dup_d_hash ON dup_t USING hash (d);

CREATE TABLE inv (x int);
INSERT INTO inv VALUES (1), (1), (2);

CREATE TABLE parent (id int PRIMARY KEY, a int, b int, UNIQUE (a, b));
CREATE TABLE child_a (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
CREATE TABLE child_b (id int PRIMARY KEY, parent_id int REFERENCES parent (id), x int);
CREATE INDEX child_b_idx ON child_b (parent_id, x);
CREATE TABLE child_c (id int PRIMARY KEY, parent_id int REFERENCES parent (id), x int);
CREATE INDEX child_c_idx ON child_c (x, parent_id);
CREATE TABLE child_d (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES parent (a, b));
CREATE INDEX child_d_idx ON child_d (b, a);

CREATE TABLE seq_int (id serial PRIMARY KEY);
CREATE TABLE seq_big (id bigserial PRIMARY KEY);
CREATE TABLE seq_ident (id smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE SEQUENCE standalone_seq;
CREATE TABLE seq_default (id int PRIMARY KEY DEFAULT nextval('standalone_seq'));
SELECT setval('seq_int_id_seq', 2000000000), setval('seq_big_id_seq', 2000000000),
       setval(pg_get_serial_sequence('seq_ident', 'id'), 32000), setval('standalone_seq', 2100000000);

CREATE TABLE bloat_t (id int PRIMARY KEY, pad text) WITH (autovacuum_enabled = false);
INSERT INTO bloat_t SELECT i, repeat('x', 120) FROM generate_series(1, 200000) i;
DELETE FROM bloat_t WHERE id % 10 <> 0;

CREATE TABLE nopk (x int);
CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);

CREATE FUNCTION f_bad() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
CREATE FUNCTION f_good() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
CREATE PROCEDURE p_temp_first() LANGUAGE sql SECURITY DEFINER SET search_path = public AS 'SELECT 1';
CREATE FUNCTION f_plain() RETURNS int LANGUAGE sql AS 'SELECT 1';
ANALYZE;
"""


@pytest.fixture(scope="module")
def hdb(pg_cluster):
    d = LiveDB(pg_cluster, "pglint_health")
    d.execute(SETUP)
    with d.connect() as c:
        try:
            c.execute("CREATE UNIQUE INDEX CONCURRENTLY inv_x_key ON inv (x)")
        except psycopg.errors.UniqueViolation:
            pass  # leaves an INVALID index behind, as in production
        for i in range(40):
            c.execute("SELECT email FROM accounts WHERE email = %s", [f"user{i}@example.com"])
        for i in range(25):
            c.execute("SELECT count(*) FROM accounts WHERE md5(email || %s) LIKE '0%%'", [str(i)])
    yield d
    d.drop()


def health(db_url, tmp_path, *args, **live):
    cfg = write_config(tmp_path, **live)
    return run_json("health", "--config", cfg, "--dsn", db_url, *args)


def by_rule(diags, rule):
    return [d for d in diags if d["rule"] == rule]


def test_indexes(hdb, tmp_path):
    rc, diags = health(hdb.url, tmp_path, unused_index_min_size="100kB")
    assert rc == 1
    unused = [d["extra"]["index"] for d in by_rule(diags, "unused-index")]
    assert "public.accounts_plan_idx" in unused
    assert "public.accounts_email_idx" not in unused and "public.accounts_pkey" not in unused
    assert not any(i.startswith("public.dup_") for i in unused)  # below the size threshold

    dup = {d["extra"]["index"]: d["extra"] for d in by_rule(diags, "duplicate-index")}
    assert set(dup) == {"public.dup_b2", "public.dup_c"}
    assert dup["public.dup_b2"]["kind"] == "duplicate" and dup["public.dup_b2"]["covered_by"] == "public.dup_b1"
    assert dup["public.dup_c"]["kind"] == "prefix" and dup["public.dup_c"]["covered_by"] == "public.dup_cd"

    inv = by_rule(diags, "invalid-index")
    assert [d["extra"]["index"] for d in inv] == ["public.inv_x_key"]
    assert "INVALID" in inv[0]["message"] and "still rejects duplicates" in inv[0]["explanation"]
    # each finding is located at its index, in the database (no user in the URI, no line)
    base = hdb.url.replace("postgres@", "")
    assert all(d["path"] == f"{base}?index={d['extra']['index']}" and d["line"] == 0
               for d in by_rule(diags, "unused-index") + by_rule(diags, "duplicate-index") + inv)


def test_unindexed_foreign_keys(hdb, tmp_path):
    _, diags = health(hdb.url, tmp_path, "--select", "unindexed-foreign-key")
    assert sorted(d["extra"].get("relation") for d in diags) == ["public.child_a", "public.child_c"]
    a = next(d for d in diags if d["extra"].get("relation") == "public.child_a")
    assert a["extra"]["index"] == "CREATE INDEX CONCURRENTLY child_a_parent_id_idx ON public.child_a (parent_id);"
    assert a["code"] == "PG713" or a["code"].startswith("PG")


def test_sequences(hdb, tmp_path):
    _, diags = health(hdb.url, tmp_path, "--select", "sequence-exhaustion")
    got = {d["extra"].get("relation"): d for d in diags}
    assert set(got) == {"public.seq_int", "public.seq_ident", "public.seq_default"}
    assert got["public.seq_int"]["extra"]["max"] == 2147483647
    assert got["public.seq_ident"]["extra"]["max"] == 32767 and got["public.seq_ident"]["severity"] == "warning"
    assert got["public.seq_default"]["extra"]["sequence"] == "public.standalone_seq"
    assert "97.8%" in got["public.seq_default"]["message"]


def test_xid_wraparound(hdb, tmp_path):
    hdb.execute("CREATE TABLE xid_old (x int)")
    with hdb.connect() as c:
        for _ in range(60):
            c.execute("SELECT txid_current()")  # each call in autocommit uses one transaction ID
    hdb.execute("CREATE TABLE xid_new (x int)")
    hdb.execute("VACUUM (FREEZE) xid_new")
    age_old = hdb.scalar("SELECT age(relfrozenxid) FROM pg_class WHERE relname = 'xid_old'")
    age_new = hdb.scalar("SELECT age(relfrozenxid) FROM pg_class WHERE relname = 'xid_new'")
    assert age_old >= 60 > 40 > age_new
    _, diags = health(hdb.url, tmp_path, "--select", "xid-wraparound", xid_remaining=XID_LIMIT - 40)
    ages = {d["extra"].get("relation"): d["extra"]["age"] for d in diags if d["extra"].get("relation")}
    assert "public.xid_new" not in ages
    # the 20 oldest are listed (catalog tables frozen at initdb come first), the rest counted
    more = [d for d in diags if d["extra"].get("relation") is None]
    listed = len(ages) + (more[0]["extra"]["more"] if more else 0)
    assert listed >= 2 and all(a > 40 for a in ages.values())
    _, quiet = health(hdb.url, tmp_path, "--select", "xid-wraparound")  # pghero's 1.5 billion
    assert quiet == []


def test_table_bloat(hdb, tmp_path):
    _, diags = health(hdb.url, tmp_path, "--select", "table-bloat", table_bloat_min_size="1MB")
    assert [d["extra"].get("relation") for d in diags] == ["public.bloat_t"]
    e = diags[0]["extra"]
    assert e["ratio"] > 0.8 and e["wasted_bytes"] > 20_000_000
    _, quiet = health(hdb.url, tmp_path, "--select", "table-bloat", table_bloat_min_size="1GB")
    assert quiet == []


def test_schema_checks(hdb, tmp_path):
    _, diags = health(hdb.url, tmp_path, "--select", "missing-primary-key,security-definer-search-path")
    nopk = [d["extra"].get("relation") for d in by_rule(diags, "missing-primary-key")]
    assert "public.nopk" in nopk and "public.inv" in nopk
    assert not {"public.accounts", "public.parted", "public.parted_1"} & set(nopk)
    sd = [d["extra"]["function"] for d in by_rule(diags, "security-definer-search-path")]
    assert sd == ["public.f_bad()", "public.p_temp_first()"]
    (p,) = [d for d in by_rule(diags, "security-definer-search-path") if "p_temp_first" in d["message"]]
    assert "SECURITY DEFINER procedure" in p["message"] and "without pg_temp" in p["message"]
    assert p["code"] == "PG502"


def test_slow_and_top_queries(hdb, tmp_path):
    _, diags = health(hdb.url, tmp_path, "--select", "slow-query,top-query", slow_query_calls=20,
                      slow_query_mean="2ms", top_queries=3)
    slow = by_rule(diags, "slow-query")
    assert len(slow) == 1 and "md5(email" in slow[0]["extra"]["query"] and slow[0]["extra"]["calls"] == 25
    top = by_rule(diags, "top-query")
    assert [d["extra"]["rank"] for d in top] == [1, 2, 3] and all(d["severity"] == "info" for d in top)
    totals = [d["extra"]["total_ms"] for d in top]
    assert totals == sorted(totals, reverse=True)
    _, quiet = health(hdb.url, tmp_path, "--select", "slow-query")  # 100 calls / 20 ms
    assert quiet == []


def test_cache_hit_ratio_quiet_on_a_warm_database(hdb, tmp_path):
    with hdb.connect() as c:
        for i in range(3000):
            c.execute("SELECT id FROM dup_t WHERE id = %s", [i % 1000 + 1])
    _, diags = health(hdb.url, tmp_path, "--select", "cache-hit-ratio", cache_hit_min_blocks=1000)
    hit, read = hdb.execute("SELECT sum(idx_blks_hit), sum(idx_blks_read) FROM pg_statio_user_indexes")[0]
    assert hit / (hit + read) >= 0.99
    assert [d["extra"]["kind"] for d in diags] in ([], ["table"])  # the heap was just written (read into buffers)


def test_sessions(hdb, tmp_path):
    idle = hdb.connect(autocommit=False)
    idle.execute("SELECT 1")  # an open transaction, now idle
    sleeping: dict = {}

    def sleeper():
        with hdb.connect() as c:
            sleeping["pid"] = c.info.backend_pid
            try:
                c.execute("SELECT pg_sleep(60)")  # cancelled below, once health has seen it
            except psycopg.errors.QueryCanceled:
                pass

    th = threading.Thread(target=sleeper)
    th.start()
    try:
        # both sessions past the 500 ms thresholds, as the server sees them (not a guessed sleep)
        deadline = time.time() + 60
        while time.time() < deadline and not (
                "pid" in sleeping and hdb.scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE (pid = %s AND state = 'active' "
                    "AND clock_timestamp() - query_start >= interval '0.6 s') OR (pid = %s "
                    "AND state = 'idle in transaction' AND clock_timestamp() - state_change >= interval '0.6 s')",
                    (sleeping["pid"], idle.info.backend_pid)) == 2):
            time.sleep(0.05)
        _, diags = health(hdb.url, tmp_path, "--select", "long-running-query,idle-in-transaction",
                          long_running="500ms", idle_in_transaction="500ms")
        long = by_rule(diags, "long-running-query")
        assert len(long) == 1 and "pg_sleep(60)" in long[0]["message"] and long[0]["extra"]["seconds"] >= 0.5
        it = by_rule(diags, "idle-in-transaction")
        assert len(it) == 1 and it[0]["extra"]["pid"] == idle.info.backend_pid
        _, quiet = health(hdb.url, tmp_path, "--select", "long-running-query,idle-in-transaction")  # 60 s
        assert quiet == []
    finally:
        idle.rollback()
        idle.close()
        while th.is_alive() and "pid" not in sleeping:
            time.sleep(0.01)
        while "pid" in sleeping and th.is_alive():  # again if it came before the sleep began
            hdb.execute("SELECT pg_cancel_backend(%s)", (sleeping["pid"],))
            th.join(0.2)
        th.join()
    _, diags = health(hdb.url, tmp_path, "--select", "long-running-query,idle-in-transaction",
                      long_running="500ms", idle_in_transaction="500ms")
    assert diags == []


def test_full_format_and_exit_codes(hdb, tmp_path):
    rc, out, err = run_cli("health", "--isolated", "--dsn", hdb.url, "--select", "security-definer-search-path",
                           "--no-color")
    assert rc == 1 and "security-definer-search-path (PG502)" in out
    assert "?function=public.f_bad(): warning" in out and ":1:1" not in out
    rc, out, err = run_cli("health", "--isolated", "--dsn", hdb.url, "--select", "security-definer-search-path",
                           "--exit-zero")
    assert rc == 0
    rc, out, err = run_cli("health", "--isolated", "--dsn", hdb.url, "--select", "invalid-indexx")
    assert rc == 2 and "unknown rule" in err


def test_pg_env_variables(hdb, tmp_path, monkeypatch):
    for k, v in {"PGHOST": "127.0.0.1", "PGPORT": str(hdb.cluster.port), "PGUSER": "postgres",
                 "PGDATABASE": hdb.name}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("PGLINT_DSN", raising=False)
    rc, diags = run_json("health", "--isolated", "--select", "security-definer-search-path")
    assert [d["extra"]["function"] for d in diags] == ["public.f_bad()", "public.p_temp_first()"]
    assert diags[0]["path"] == f"postgresql://127.0.0.1:{hdb.cluster.port}/{hdb.name}?function=public.f_bad()"


# -- a cluster of this module: no preload, tiny shared_buffers, password auth -----------------------------

@pytest.fixture(scope="module")
def plain():
    from pglint.trace.cluster import Cluster, ClusterError

    try:
        c = Cluster(settings={"shared_buffers": "1MB"}).start()
    except ClusterError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(str(exc))
    yield c
    c.stop()


def test_pg_stat_statements_missing_or_not_preloaded(plain, tmp_path):
    db = LiveDB(plain, "pglint_nopss")
    try:
        db.execute("CREATE TABLE big (id int, v int); INSERT INTO big SELECT i, i FROM generate_series(1, 50000) i; "
                   "ANALYZE big")
        _, diags = health(db.url, tmp_path, "--select", "slow-query,top-query,live-skipped")
        assert len(diags) == 1 and diags[0]["severity"] == "info"
        said = diags[0]["message"] + diags[0]["help"]
        assert "not installed" in said and "shared_preload_libraries" in said
        f = tmp_path / "q.sql"
        f.write_text("SELECT * FROM big WHERE v = 3;\n")
        _, diags = run_json("check", "--isolated", "--ignore", "select-star", "--dsn", db.url, str(f))
        assert rules(diags) == ["live-skipped", "plan-seq-scan"]  # one info, and the rest goes on
        db.execute("CREATE EXTENSION pg_stat_statements")  # succeeds without the preload...
        _, diags = health(db.url, tmp_path, "--select", "slow-query,top-query,live-skipped")
        assert len(diags) == 1 and "installed but not loaded" in diags[0]["message"]
    finally:
        db.drop()


def test_cache_hit_ratio_fires_when_reads_miss(plain, tmp_path):
    db = LiveDB(plain, "pglint_cache")
    try:
        db.execute("CREATE TABLE big (id int PRIMARY KEY, pad text); "
                   "INSERT INTO big SELECT i, repeat('x', 200) FROM generate_series(1, 50000) i")
        with db.connect() as c:
            for _ in range(5):
                c.execute("SELECT count(*) FROM big WHERE pad LIKE 'y%'")
        _, diags = health(db.url, tmp_path, "--select", "cache-hit-ratio", cache_hit_min_blocks=1000)
        table = [d for d in diags if d["extra"]["kind"] == "table"]
        assert len(table) == 1 and table[0]["extra"]["ratio"] < 0.99
    finally:
        db.drop()


def test_permission_error_on_a_catalog_view_skips_that_check(plain, tmp_path):
    db = LiveDB(plain, "pglint_perm")
    role = db.role("pglint_limited")
    db.execute("CREATE TABLE nopk_here (x int); GRANT SELECT ON nopk_here TO PUBLIC")
    db.execute("REVOKE SELECT ON pg_catalog.pg_stat_activity FROM PUBLIC")  # in this database only
    try:
        rc, diags = health(db.url_as(role), tmp_path, "--select",
                           "long-running-query,idle-in-transaction,missing-primary-key,live-skipped")
        assert rc == 1
        skipped = by_rule(diags, "live-skipped")
        assert len(skipped) == 1 and "permission denied" in skipped[0]["message"]
        assert "long-running-query and idle-in-transaction" in skipped[0]["message"]
        assert [d["extra"].get("relation") for d in by_rule(diags, "missing-primary-key")] == ["public.nopk_here"]
    finally:
        db.drop()


def test_authentication_failure_exits_2_and_hides_the_password(plain, tmp_path, pglint_exe):
    import subprocess

    db = LiveDB(plain, "pglint_auth")
    password = "C0rrect-Horse-" + unique("p")
    role = db.role("pglint_pw", password=password)
    hba = f"{plain.tmp}/data/pg_hba.conf"
    original = open(hba).read()
    with open(hba, "w") as f:
        f.write(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + original)
    with psycopg.connect(plain.dsn, autocommit=True) as c:
        c.execute("SELECT pg_reload_conf()")
    time.sleep(0.3)
    try:
        wrong = "Wr0ng-" + unique("p")
        for args in (["health", "--dsn", db.url_as(role, wrong)],
                     ["check", "--isolated", "--dsn", db.url_as(role, wrong), str(tmp_path)]):
            p = subprocess.run([pglint_exe, *args], capture_output=True, text=True)
            assert p.returncode == 2, p.stderr
            assert "password authentication failed" in p.stderr and "Traceback" not in p.stderr
            assert wrong not in p.stdout + p.stderr and role in p.stderr
        env_run = subprocess.run([pglint_exe, "health", "--dsn", f"host=127.0.0.1 port={plain.port} user={role} "
                                  f"dbname={db.name} password=bad{wrong}"], capture_output=True, text=True)
        assert env_run.returncode == 2 and wrong not in env_run.stdout + env_run.stderr
        p = subprocess.run([pglint_exe, "health", "--dsn", db.url_as(role, password), "--select", "live-skipped"],
                           capture_output=True, text=True)
        assert p.returncode in (0, 1) and password not in p.stdout + p.stderr
    finally:
        with open(hba, "w") as f:
            f.write(original)
        with psycopg.connect(plain.dsn, autocommit=True) as c:
            c.execute("SELECT pg_reload_conf()")
        db.drop()

"""``pglint health`` findings are located at database objects (issue 20): a
``postgresql://host:port/db?kind=name`` URI per table, index, sequence, function, session or
pg_stat_statements query, in every output format (SARIF stays schema-valid); the summary
speaks of database objects; pglint's own queries, COPY and DDL are not top queries.
Against a real PostgreSQL with pg_stat_statements preloaded (the suite's cluster)."""

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from live_db import LiveDB, run_cli, write_config
from pglint.live.health import is_application_query

pytestmark = pytest.mark.postgres

SETUP = """
CREATE EXTENSION pg_stat_statements;
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, note text);
CREATE TABLE customers (id int PRIMARY KEY);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE INDEX orders_note_a ON orders (note);
CREATE INDEX orders_note_b ON orders (note);
CREATE TABLE "odd name" (x int);
CREATE FUNCTION f_def(a integer, b text) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
INSERT INTO customers SELECT generate_series(1, 500);
INSERT INTO orders SELECT i, 1 + i % 500, 'n' || i FROM generate_series(1, 2000) i;
ANALYZE;
"""


@pytest.fixture(scope="module")
def db(pg_cluster):
    d = LiveDB(pg_cluster, "pglint_hloc")
    d.execute(SETUP)
    with d.connect() as c:
        c.execute("SELECT pg_stat_statements_reset()")
        # the application's queries
        for i in range(30):
            c.execute("SELECT count(*) FROM orders WHERE note LIKE %s", [f"n{i}%"])
        for i in range(10):
            c.execute("UPDATE orders SET note = note WHERE id = %s", [i + 1])
        # bulk loads and DDL: heavy, but not queries to tune
        for i in range(3):
            with c.cursor().copy("COPY customers (id) FROM STDIN") as cp:
                for k in range(2000):
                    cp.write_row([10_000 * (i + 1) + k])
            c.execute(f"CREATE TABLE scratch_{i} AS SELECT g FROM generate_series(1, 50000) g")
            c.execute(f"ALTER TABLE scratch_{i} ADD COLUMN y int DEFAULT 1")
            c.execute(f"CREATE INDEX scratch_{i}_g ON scratch_{i} (g)")
            c.execute(f"DROP TABLE scratch_{i}")
    yield d
    d.drop()


def health(db, tmp_path, *args, fmt="json", **live):
    cfg = write_config(tmp_path, **live)
    return run_cli("health", "--config", cfg, "--dsn", db.url, "--format", fmt, *args)


def _base(db):
    return f"postgresql://127.0.0.1:{db.cluster.port}/{db.name}"


def test_json_locations_name_the_object(db, tmp_path):
    rc, out, _ = health(db, tmp_path, "--select", "duplicate-index,unindexed-foreign-key,missing-primary-key,"
                        "security-definer-search-path,top-query", top_queries=3)
    diags = json.loads(out)["diagnostics"]
    base = _base(db)
    at = {}
    for d in diags:
        assert d["line"] == d["column"] == d["end_line"] == d["end_column"] == 0, d
        assert d["path"].startswith(base + "?"), d["path"]
        at.setdefault(d["rule"], []).append(d["path"][len(base):])
    assert at["duplicate-index"] == ["?index=public.orders_note_b"]
    assert at["unindexed-foreign-key"] == ["?table=public.orders&constraint=orders_customer_fkey"]
    # a quoted identifier's characters are percent-encoded: the URI stays valid
    assert "?table=public.odd%20name" in at["missing-primary-key"]
    assert at["security-definer-search-path"] == ["?function=public.f_def(a%20integer,b%20text)"] or \
        at["security-definer-search-path"] == ["?function=public.f_def(a%20integer,%20b%20text)"]
    tops = [d for d in diags if d["rule"] == "top-query"]
    assert tops and all(d["path"] == f"{base}?queryid={d['extra']['queryids'][0]}" for d in tops)
    for d in diags:  # and a URI parser reads back the object
        u = urlsplit(d["path"])
        assert u.scheme == "postgresql" and u.path == f"/{db.name}" and len(parse_qsl(u.query)) in (1, 2)


def test_full_and_concise_print_the_object_and_a_database_summary(db, tmp_path):
    base = _base(db)
    rc, out, _ = health(db, tmp_path, "--select", "duplicate-index,missing-primary-key", fmt="concise")
    assert rc == 1
    lines = out.splitlines()
    assert f"{base}?index=public.orders_note_b: PG" in out
    assert not re.search(r":\d+:\d+: ", out)
    assert re.fullmatch(rf"Found 2 problems \(2 warnings\) on 2 database objects of {re.escape(base)} "
                        r"\(2 checks, \d+\.\d\ds\)\.", lines[-1]), lines[-1]
    assert "file" not in lines[-1] and "statement" not in lines[-1]
    rc, out, _ = health(db, tmp_path, "--select", "duplicate-index", fmt="full", )
    assert f"{base}?index=public.orders_note_b: warning" in out and ":1:1" not in out
    rc, out, _ = health(db, tmp_path, "--select", "invalid-index", fmt="concise")
    assert rc == 0 and out.strip().startswith(f"No problems found in {base} (1 check, ")


def test_sarif_locations_are_object_uris_and_valid(db, tmp_path):
    import jsonschema
    from conftest import IN_CI
    from test_formats import SCHEMA_PATH as schema_path  # ../shared/schemas or PGLINT_SARIF_SCHEMA

    if not schema_path.is_file():
        if IN_CI:
            pytest.fail(f"the SARIF schema is required under CI: {schema_path}")
        pytest.skip("the SARIF schema is not at ../shared/schemas (or PGLINT_SARIF_SCHEMA)")
    rc, out, _ = health(db, tmp_path, "--select", "duplicate-index,missing-primary-key,top-query", fmt="sarif")
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(schema_path.read_text(encoding="utf-8")))
    results = doc["runs"][0]["results"]
    assert results
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"].startswith(_base(db) + "?")
        assert "uriBaseId" not in loc["artifactLocation"] and "region" not in loc


def test_html_groups_by_object(db, tmp_path):
    rc, out, _ = health(db, tmp_path, "--select", "duplicate-index,missing-primary-key", fmt="html")
    assert f'data-key="{_base(db)}?index=public.orders_note_b"' in out
    assert f'<span class="where">{_base(db)}?index=public.orders_note_b</span>' in out
    assert 'data-stat="objects">2<' in out and "Findings by database object" in out and 'data-stat="statements"' not in out


def test_top_queries_leave_out_pglint_copy_and_ddl(db, tmp_path):
    health(db, tmp_path, "--select", "unused-index,duplicate-index,table-bloat")  # pglint's own catalog queries
    # pg_stat_statements did record them all: pglint's (with its marker), COPY and DDL
    texts = [t for (t,) in db.execute(
        "SELECT query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = %s)",
        [db.name])]
    assert any(t.startswith("/* pglint */") for t in texts)
    assert any(t.startswith("COPY customers") for t in texts)
    assert any(t.startswith("CREATE TABLE scratch_") for t in texts)
    assert any(t.startswith("ALTER TABLE scratch_") for t in texts)
    assert any(t.startswith("DROP TABLE scratch_") for t in texts)

    rc, out, _ = health(db, tmp_path, "--select", "top-query,slow-query", top_queries=100, slow_query_calls=1,
                        slow_query_mean="0ms")
    diags = json.loads(out)["diagnostics"]
    listed = [d["extra"]["query"] for d in diags]
    assert any("FROM orders WHERE note LIKE" in q for q in listed)
    assert any(q.startswith("UPDATE orders") for q in listed)
    for q in listed:
        assert not q.lstrip().startswith("/* pglint */"), q
        assert not re.match(r"\s*(COPY|CREATE|ALTER|DROP|SET|BEGIN|ROLLBACK|ANALYZE)\b", q, re.I), q
        # what pglint itself read (this test's own look at pg_stat_statements is an application query)
        assert "pg_stat_user_indexes" not in q and "FROM pg_index x" not in q and "pg_statio" not in q, q


@pytest.mark.parametrize("text,expected", [
    ("SELECT * FROM t WHERE id = $1", True),
    ("WITH x AS (DELETE FROM t RETURNING *) SELECT count(*) FROM x", True),
    ("INSERT INTO t VALUES ($1)", True),
    ("CALL refresh_all($1)", True),
    ("/* pglint */ SELECT n.nspname FROM pg_namespace n", False),
    ("COPY t (a) FROM STDIN", False),
    ("COPY (SELECT 1) TO STDOUT", False),
    ("CREATE INDEX CONCURRENTLY i ON t (a)", False),
    ("ALTER TABLE t ADD COLUMN b int", False),
    ("DROP TABLE t", False),
    ("TRUNCATE t", False),
    ("SET statement_timeout = $1", False),
    ("VACUUM ANALYZE t", False),
    ("BEGIN READ ONLY", False),
    ("EXPLAIN SELECT 1", False),
])
def test_is_application_query(text, expected):
    assert is_application_query(text) is expected

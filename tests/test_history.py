"""Migration histories: layouts and their order, the schema model across files, and the
rules that need it."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, pglint_path
from pglint.config.settings import Settings
from pglint.engine.runner import run_paths
from pglint.source.files import discover
from pglint.source.layouts import detect

LAYOUTS = ROOT / "fixtures" / "layouts"


def order(name):
    histories, standalone = detect(discover([str(LAYOUTS / name)]))
    assert len(histories) == 1
    h = histories[0]
    return h.layout, [(os.path.relpath(e.input.path, h.root), e.kind) for e in h.entries], standalone


def test_flyway_versions_repeatables_and_undo():
    layout, entries, _ = order("flyway")
    assert layout == "flyway"
    assert entries == [("V1__init.sql", "forward"), ("V1.1__more.sql", "forward"), ("V1_2__underscored.sql", "forward"),
                       ("V2__users.sql", "forward"), ("U2__users.sql", "rollback"), ("V10__late.sql", "forward"),
                       ("R__views.sql", "repeatable")]


def test_golang_migrate_pairs_down_after_up_and_skips_other_dialects():
    layout, entries, standalone = order("golang")
    assert layout == "golang-migrate"
    assert [e[0] for e in entries] == ["000001_init.up.sql", "000001_init.down.sql", "000002_users.up.sql",
                                       "000002_users.down.sql", "000010_late.up.sql", "000010_late.down.sql"]
    assert [os.path.basename(s.path) for s in standalone] == ["000003_other.mysql.up.sql"]


@pytest.mark.parametrize("name,layout,first", [
    ("goose", "goose", "20240101000000_first.sql"),
    ("dbmate", "dbmate", "20231231000000_zero.sql"),
    ("prisma", "prisma", "20230518191501_init/migration.sql"),
    ("diesel", "diesel", "00000000000000_diesel_initial_setup/up.sql"),
    ("numbered", "numbered", "0001-first.sql"),
    ("versioned", "versioned-directories", "v1.0/schema.sql"),
])
def test_other_layouts(name, layout, first):
    got, entries, _ = order(name)
    assert got == layout and entries[0][0] == first
    assert [e[0] for e in entries] == sorted([e[0] for e in entries], key=lambda p: entries.index(
        next(x for x in entries if x[0] == p)))


def test_numbered_and_versioned_order():
    assert [e[0] for e in order("numbered")[1]] == ["0001-first.sql", "0002-second.sql", "0010-late.sql"]
    assert [e[0] for e in order("versioned")[1]] == ["v1.0/schema.sql", "v1.2/indexes.sql", "v1.2/schema.sql",
                                                     "v1.10/schema.sql"]
    assert [e[0] for e in order("diesel")[1]][2:4] == ["2019-02-26-002946_create_user/up.sql",
                                                         "2019-02-26-002946_create_user/down.sql"]


def test_sqitch_follows_the_plan():
    layout, entries, _ = order("sqitch")
    assert layout == "sqitch"
    assert entries == [("deploy/appschema.sql", "forward"), ("revert/appschema.sql", "rollback"),
                       ("deploy/users.sql", "forward"), ("verify/users.sql", "verify"),
                       ("revert/users.sql", "rollback"), ("deploy/accounts.sql", "forward"),
                       ("revert/accounts.sql", "rollback")]


def test_explain_order_cli():
    p = subprocess.run([pglint_path(), "--explain-order", str(LAYOUTS / "flyway")], capture_output=True, text=True)
    assert p.returncode == 0
    assert "flyway, 7 files" in p.stdout and "U2__users.sql  [rollback of #4, in a transaction]" in p.stdout


# -- the schema model across files ------------------------------------------------------------


def write_tree(root: Path, files: dict) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def lint_tree(root: Path, **kw):
    res = run_paths([str(root)], Settings(jobs=1), **kw)
    return {(os.path.basename(d.path), d.line, d.rule) for d in res.diagnostics}


LT = "SET lock_timeout = '2s';\n"


def test_table_from_an_earlier_migration_is_existing(tmp_path):
    got = lint_tree(write_tree(tmp_path, {
        "V1__init.sql": "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);\n"
                        "CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);\n",
        "V2__index.sql": LT + "CREATE INDEX IF NOT EXISTS users_email2_idx ON users (email);\n",
    }))
    assert got == {("V2__index.sql", 2, "index-not-concurrent")}


def test_column_type_rewrite_knows_the_old_type(tmp_path):
    got = lint_tree(write_tree(tmp_path, {
        "001_init.up.sql": "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, name varchar(50), n int);\n",
        "002_widen.up.sql": LT + "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\n",
        "003_int.up.sql": LT + "ALTER TABLE users ALTER COLUMN n TYPE bigint;\n",
    }))
    assert got == {("003_int.up.sql", 2, "column-type-rewrite")}
    res = run_paths([str(tmp_path / "003_int.up.sql")], Settings(jobs=1))
    (d,) = res.diagnostics
    assert "from integer to bigint" in d.message  # the history is replayed for a file named alone


def test_unindexed_foreign_key_counts_indexes_of_later_migrations(tmp_path):
    files = {
        "V1__init.sql": "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY);\n"
                        "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id),"
                        " shop_id bigint REFERENCES users (id));\n",
        "V2__index.sql": "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id, id);\n",
    }
    got = lint_tree(write_tree(tmp_path, files))
    assert got == {("V1__init.sql", 2, "unindexed-foreign-key")}
    res = run_paths([str(tmp_path)], Settings(jobs=1))
    (d,) = res.diagnostics
    assert "shop_id" in d.message and "CREATE INDEX CONCURRENTLY orders_shop_id_idx" in d.help


def test_missing_primary_key_counts_keys_of_later_migrations(tmp_path):
    # a table created without a key and given one by a later migration (built CONCURRENTLY, then
    # ADD ... USING INDEX) has its key at the end of the history, like unindexed-foreign-key judges
    files = {
        "V1__init.sql": "CREATE TABLE IF NOT EXISTS events (id bigint NOT NULL, body text);\n"
                        "CREATE TABLE IF NOT EXISTS logs (id bigint NOT NULL, body text);\n",
        "V2__key.sql": "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);\n"
                       "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;\n",
    }
    got = {k for k in lint_tree(write_tree(tmp_path, files)) if k[2] == "missing-primary-key"}
    assert got == {("V1__init.sql", 2, "missing-primary-key")}
    # the file linted alone, as CI does with a new migration: the history is replayed, same answer
    res = run_paths([str(tmp_path / "V1__init.sql")], Settings(jobs=1, select=["missing-primary-key"]))
    assert [d.line for d in res.diagnostics] == [2]


def test_fk_type_mismatch_across_files(tmp_path):
    got = lint_tree(write_tree(tmp_path, {
        "V1__init.sql": "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY);\n",
        "V2__orders.sql": LT + "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, user_id integer);\n"
                          "CREATE INDEX IF NOT EXISTS orders_user_idx ON orders (user_id);\n"
                          "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n",
    }), )
    rules = {r for _, _, r in got}
    assert "fk-type-mismatch" in rules


def test_drop_column_in_use_by_a_view_of_an_earlier_migration(tmp_path):
    got = lint_tree(write_tree(tmp_path, {
        "V1__init.sql": "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text, plan text);\n"
                        "CREATE VIEW user_plans AS SELECT u.id, u.plan FROM users u;\n",
        "V2__drop.sql": LT + "ALTER TABLE users DROP COLUMN email;\nALTER TABLE users DROP COLUMN plan;\n",
    }))
    assert ("V2__drop.sql", 3, "drop-column-in-use") in got
    assert ("V2__drop.sql", 2, "drop-column-in-use") not in got


def test_missing_object_says_when_dynamic_sql_may_have_created_it(tmp_path):
    # partitions made by a function that runs EXECUTE (or by a DO block): pglint does not run
    # that SQL, so it cannot say no migration creates them, only that none does by name
    files = {
        "V1__init.sql": "CREATE TABLE IF NOT EXISTS ev (id bigint, tenant uuid, PRIMARY KEY (id, tenant))"
                        " PARTITION BY HASH (tenant);\n"
                        "CREATE OR REPLACE FUNCTION make_parts(tbl text, n int) RETURNS void LANGUAGE plpgsql AS $$\n"
                        "BEGIN\n  FOR i IN 0..n - 1 LOOP\n"
                        "    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',"
                        " tbl || '_' || i, tbl, n, i);\n  END LOOP;\nEND $$;\n",
        "V2__parts.sql": "SELECT make_parts('ev', 2);\n",
        "V3__index.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS ev_0_idx ON ev_0 (id);\n",
    }
    res = run_paths([str(write_tree(tmp_path, files))], Settings(jobs=1, select=["missing-object"]))
    (d,) = res.diagnostics
    assert d.message == "CREATE INDEX on ev_0, which no earlier migration creates by name (dynamic SQL in V2__parts.sql may)"
    assert "does not see" in d.explanation
    # a function that is only created, never called, or whose EXECUTE is a trigger's EXECUTE FUNCTION: no caveat
    files["V2__parts.sql"] = "SELECT 1;\n"
    (d,) = run_paths([str(write_tree(tmp_path, files))], Settings(jobs=1, select=["missing-object"])).diagnostics
    assert d.message == "CREATE INDEX on ev_0, which no earlier migration creates"
    files["V2__parts.sql"] = ("CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW;"
                              " END $$;\nDO $$ BEGIN CREATE TRIGGER t BEFORE UPDATE ON ev FOR EACH ROW EXECUTE FUNCTION"
                              " touch(); END $$;\n")
    (d,) = run_paths([str(write_tree(tmp_path, files))], Settings(jobs=1, select=["missing-object"])).diagnostics
    assert d.message == "CREATE INDEX on ev_0, which no earlier migration creates"
    # a DO block that runs EXECUTE
    files["V2__parts.sql"] = "DO $$ BEGIN EXECUTE 'CREATE TABLE ev_0 PARTITION OF ev FOR VALUES WITH (MODULUS 1, REMAINDER 0)'; END $$;\n"
    (d,) = run_paths([str(write_tree(tmp_path, files))], Settings(jobs=1, select=["missing-object"])).diagnostics
    assert d.message.endswith("by name (dynamic SQL in V2__parts.sql may)")


def test_missing_object_only_for_a_whole_history(tmp_path):
    files = {
        "V1__init.sql": "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);\n",
        "V2__typo.sql": LT + "ALTER TABLE usres ADD COLUMN plan text;\nALTER TABLE users ALTER COLUMN emial SET NOT NULL;\n",
    }
    got = lint_tree(write_tree(tmp_path, files))
    assert ("V2__typo.sql", 2, "missing-object") in got and ("V2__typo.sql", 3, "missing-object") in got
    single = run_paths([str(tmp_path / "V2__typo.sql")], Settings(jobs=1), history=False)
    assert "missing-object" not in {d.rule for d in single.diagnostics}


def test_rollback_files_see_their_forward_migration_as_new(tmp_path):
    got = lint_tree(write_tree(tmp_path, {
        "001_init.up.sql": "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);\n",
        "002_idx.up.sql": "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
        "002_idx.down.sql": "DROP INDEX users_email_idx;\n",
        "003_more.up.sql": LT + "ALTER TABLE users ADD COLUMN plan text;\n",
    }))
    # the down file undoes 002: the index is 002's own object (like a goose Down section), but
    # the table it locks is older, so the lock still needs a timeout
    assert got == {("002_idx.down.sql", 1, "lock-timeout-missing")}


def test_down_sections_do_not_change_the_forward_history(tmp_path):
    got = lint_tree(write_tree(tmp_path, {
        "20240101_a.sql": "-- +goose Up\nCREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY);\n"
                          "-- +goose Down\nDROP TABLE IF EXISTS users;\n",
        "20240102_b.sql": "-- +goose Up\nSET LOCAL lock_timeout = '2s';\nALTER TABLE users ADD COLUMN plan text;\n"
                          "-- +goose Down\nSET LOCAL lock_timeout = '2s';\nALTER TABLE users DROP COLUMN IF EXISTS plan;\n",
    }), )
    # users still exists after file a (its Down section is not replayed): no missing-object in b
    assert "missing-object" not in {r for _, _, r in got}


def test_changed_since_reports_only_changed_files(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    write_tree(tmp_path, {"migrations/V1__init.sql": "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);\n",
                          "migrations/V2__old.sql": "CREATE INDEX users_a_idx ON users (email);\n"})
    git("init", "-q")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init")
    write_tree(tmp_path, {"migrations/V3__new.sql": LT + "CREATE INDEX users_b_idx ON users (email);\n"})
    p = subprocess.run([pglint_path(), "--format", "json", "--changed-since", "HEAD", "migrations"],
                       cwd=tmp_path, capture_output=True, text=True)
    doc = json.loads(p.stdout)
    assert {(d["path"], d["rule"]) for d in doc["diagnostics"]} == {("migrations/V3__new.sql", "index-not-concurrent")}
    assert doc["summary"]["files"] == 1


@pytest.mark.postgres
def test_baseline_from_a_real_pg_dump(pg_cluster, tmp_path):
    import psycopg

    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS baseline_src")
        conn.execute("CREATE DATABASE baseline_src")
    with psycopg.connect(pg_cluster.dsn.replace("dbname=postgres", "dbname=baseline_src"), autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, name varchar(50) NOT NULL, plan_id integer)")
        conn.execute("CREATE TABLE plans (id integer PRIMARY KEY)")
        conn.execute("ALTER TABLE users ADD CONSTRAINT users_plan_fk FOREIGN KEY (plan_id) REFERENCES plans (id)")
        conn.execute("CREATE INDEX users_plan_idx ON users (plan_id)")
    dump = tmp_path / "structure.sql"
    pg_dump = pg_cluster.bindir / "pg_dump"
    out = subprocess.run([str(pg_dump), "-s", "-h", "127.0.0.1", "-p", str(pg_cluster.port), "-U", "postgres",
                          "baseline_src"], capture_output=True, text=True, check=True).stdout
    dump.write_text(out)
    mig = write_tree(tmp_path / "migrations", {
        "V1__widen.sql": LT + "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\n"
                         "ALTER TABLE users ALTER COLUMN plan_id TYPE bigint;\nALTER TABLE userz ADD COLUMN x int;\n",
    })
    res = run_paths([str(mig)], Settings(jobs=1, baseline=str(dump)))
    got = {(d.line, d.rule) for d in res.diagnostics}
    # Flyway runs V1 in one transaction: line 3 runs while line 2's ACCESS EXCLUSIVE lock is held
    assert got == {(3, "column-type-rewrite"), (3, "statements-after-exclusive-lock"), (4, "missing-object")}
    msg = [d.message for d in res.diagnostics if d.rule == "column-type-rewrite"][0]
    assert "from integer to bigint" in msg


def test_rails_structure_sql_as_baseline(corpus):
    from pglint.engine.baseline import load_baseline

    model = load_baseline(str(corpus / "danbooru" / "db" / "structure.sql"), Settings())
    users = model.tables[("public", "users")]
    assert users.origin is None and "name" in users.columns and users.columns["id"].type.name == "int4"
    assert any(i.table == ("public", "users") for i in model.indexes.values())

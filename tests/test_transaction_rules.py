"""non-idempotent-ddl, transaction-nesting and uncommitted-transaction: what runs in which
transaction, and what a rerun after a failure would hit."""

from conftest import lint, rules_of

T = ["non-idempotent-ddl", "transaction-nesting", "uncommitted-transaction"]


def fired(sql: str, **options) -> list[tuple[int, str]]:
    options.setdefault("select", T)
    return [(d.line, d.rule) for d in lint(sql, **options)]


CT = "CREATE TABLE {n} (id bigint PRIMARY KEY);"


def test_statements_followed_by_later_transactions_are_flagged():
    sql = "\n".join([CT.format(n="a"), CT.format(n="b"), CT.format(n="c")])
    # the last one can be rerun: when it fails nothing of it stays, and nothing comes after it
    assert fired(sql) == [(1, "non-idempotent-ddl"), (2, "non-idempotent-ddl")]
    assert fired(CT.format(n="a")) == []
    assert fired("SET lock_timeout = '2s';\n" + CT.format(n="a") + "\nSET statement_timeout = 0;") == []


def test_one_transaction_around_everything_is_rerunnable():
    sql = "\n".join([CT.format(n="a"), CT.format(n="b"), CT.format(n="c")])
    assert fired(f"BEGIN;\n{sql}\nCOMMIT;") == []
    assert fired(sql, assume_in_transaction=True) == []
    # but work after the COMMIT runs after the block has committed
    assert fired(f"BEGIN;\n{sql}\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON a (id);") == [
        (2, "non-idempotent-ddl"), (3, "non-idempotent-ddl"), (4, "non-idempotent-ddl")]
    # a block that is rolled back leaves nothing behind
    assert fired(f"BEGIN;\n{CT.format(n='a')}\nROLLBACK;\n{CT.format(n='b')}\nSELECT 1;") == [(4, "non-idempotent-ddl")]


def test_the_idempotent_forms_are_not_flagged():
    sql = """CREATE TABLE IF NOT EXISTS a (id bigint PRIMARY KEY);
CREATE INDEX IF NOT EXISTS a_id ON a (id);
CREATE SEQUENCE IF NOT EXISTS s;
CREATE SCHEMA IF NOT EXISTS x;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE OR REPLACE VIEW v AS SELECT 1 AS one;
CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE OR REPLACE TRIGGER tr AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f();
ALTER TABLE a ADD COLUMN IF NOT EXISTS b text, DROP COLUMN IF EXISTS c, DROP CONSTRAINT IF EXISTS k;
DROP TABLE IF EXISTS old;
DROP INDEX CONCURRENTLY IF EXISTS old_idx;
CREATE TEMP TABLE scratch (a int);
CREATE TYPE mood AS ENUM ('a');
ALTER TABLE a ADD CONSTRAINT a_chk CHECK (id > 0) NOT VALID;
SELECT 1;
"""
    assert fired(sql) == []


def test_each_non_idempotent_form():
    for stmt, fix in (
        ("CREATE INDEX i ON t (a);", "CREATE INDEX IF NOT EXISTS"),
        ("CREATE VIEW v AS SELECT 1 AS x;", "CREATE OR REPLACE VIEW"),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;", "CREATE OR REPLACE FUNCTION"),
        ("CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$;", "CREATE OR REPLACE PROCEDURE"),
        ("CREATE MATERIALIZED VIEW m AS SELECT 1 AS x;", "CREATE MATERIALIZED VIEW IF NOT EXISTS"),
        ("DROP TABLE t;", "DROP TABLE IF EXISTS"),
        ("DROP MATERIALIZED VIEW m;", "DROP MATERIALIZED VIEW IF EXISTS"),
        ("DROP ROLE r;", "DROP ROLE IF EXISTS"),
        ("ALTER TABLE t ADD COLUMN b text;", "ADD COLUMN IF NOT EXISTS b"),
        ("ALTER TABLE t DROP COLUMN b;", "DROP COLUMN IF EXISTS b"),
        ("ALTER TABLE t DROP CONSTRAINT k;", "DROP CONSTRAINT IF EXISTS k"),
    ):
        diags = lint(f"{stmt}\nSELECT 1;", select=T)
        assert [d.rule for d in diags] == ["non-idempotent-ddl"], stmt
        assert fix in diags[0].help, (stmt, diags[0].help)


def test_triggers_before_postgresql_14_need_a_drop_first():
    sql = "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\nSELECT 1;"
    (d,) = lint(sql, select=T, pg_version="13")
    assert "DROP TRIGGER IF EXISTS tr ON t" in d.help
    (d,) = lint(sql, select=T)
    assert "CREATE OR REPLACE TRIGGER" in d.help
    assert fired("DROP TRIGGER IF EXISTS tr ON t;\n" + sql, pg_version="13") == []


def test_drop_if_exists_then_create_can_run_again():
    assert fired("DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT 1 AS x;\nSELECT 1;") == []
    assert fired("DROP TABLE IF EXISTS a;\n" + CT.format(n="a") + "\nSELECT 1;") == []
    assert fired("DROP TABLE IF EXISTS b;\n" + CT.format(n="a") + "\nSELECT 1;") == [(2, "non-idempotent-ddl")]


def test_create_index_concurrently():
    # without a name: always, wherever it is
    (d,) = lint("CREATE INDEX CONCURRENTLY ON orders (created_at);", select=T)
    assert d.rule == "non-idempotent-ddl" and "INVALID" in d.explanation
    assert "DROP INDEX CONCURRENTLY IF EXISTS orders_created_at_idx" in d.help
    # with a name and work after it: drop a leftover first (IF NOT EXISTS would keep an invalid one)
    sql = "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (b);"
    (d,) = lint(sql, select=T)
    assert d.line == 1 and "DROP INDEX CONCURRENTLY IF EXISTS i" in d.help
    assert fired("DROP INDEX CONCURRENTLY IF EXISTS i;\n" + sql) == []


def test_goose_no_transaction_and_dbmate_sections():
    goose = ("-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
             "CREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (b);\n-- +goose Down\nDROP INDEX i;\n")
    assert fired(goose) == [(3, "non-idempotent-ddl")]
    dbmate = "-- migrate:up\nCREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY);\n"
    assert fired(dbmate) == []  # dbmate runs each section in a transaction
    assert fired(dbmate.replace("up", "up transaction:false")) == [(2, "non-idempotent-ddl")]


def test_schema_dumps_are_not_rerun():
    dump = ("SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
            "CREATE TABLE public.a (id bigint NOT NULL);\nCREATE TABLE public.b (id bigint NOT NULL);\n"
            "ALTER TABLE ONLY public.a ADD CONSTRAINT a_pkey PRIMARY KEY (id);\n"
            "ALTER TABLE ONLY public.b ADD CONSTRAINT b_pkey PRIMARY KEY (id);\n")
    assert fired(dump) == []


def test_do_blocks_are_one_statement():
    sql = "DO $$ BEGIN CREATE TABLE a (id bigint PRIMARY KEY); CREATE TABLE b (id bigint PRIMARY KEY); END $$;\nSELECT 1;"
    assert fired(sql) == []


def test_transaction_nesting():
    assert fired("BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;") == [(2, "transaction-nesting"),
                                                                  (5, "transaction-nesting")]
    (d,) = lint("BEGIN;\nSELECT 1;\nSTART TRANSACTION;\nCOMMIT;", select=T)
    assert d.message.startswith("START TRANSACTION inside the transaction opened at line 1")
    (d,) = lint("SELECT 1;\nEND;", select=T, assume_in_transaction=False)
    assert d.message.startswith("END without a transaction")
    # how the file runs is not known (no layout, no assume-in-transaction): conditional
    (d,) = lint("SELECT 1;\nEND;", select=T)
    assert d.message.startswith("END without BEGIN in this file")
    assert d.explanation.startswith("If the migration tool runs the file statement by")
    (d,) = lint("SAVEPOINT s;", select=T)
    assert "SAVEPOINT can only be used in transaction blocks" in d.explanation
    assert fired("BEGIN;\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nRELEASE SAVEPOINT s;\nCOMMIT;") == []
    assert fired("BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nSELECT 2;\nCOMMIT;") == []


def test_begin_and_commit_in_a_file_the_tool_wraps():
    sql = "BEGIN;\nSELECT 1;\nCOMMIT;"
    assert fired(sql) == []
    diags = lint(sql, select=T, assume_in_transaction=True)
    assert [(d.line, d.rule) for d in diags] == [(1, "transaction-nesting"), (3, "transaction-nesting")]
    assert "assume-in-transaction" in diags[0].explanation
    # after the file's COMMIT ended the tool's transaction, a new BEGIN is still wrong
    sql = "SELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;"
    assert fired(sql, assume_in_transaction=True) == [(2, "transaction-nesting"), (3, "transaction-nesting")]
    goose = "-- +goose Up\nBEGIN;\nSELECT 1;\nCOMMIT;\n"
    (d, _) = lint(goose, select=T)
    assert "goose" in d.explanation
    assert fired("-- pglint: no-transaction\n" + sql, assume_in_transaction=True) == [(3, "transaction-nesting")]


def test_uncommitted_transaction():
    diags = lint("SELECT 0;\nBEGIN;\nCREATE TABLE IF NOT EXISTS a (id bigint PRIMARY KEY);\n", select=T)
    assert [(d.line, d.rule, d.severity) for d in diags] == [(2, "uncommitted-transaction", "error")]
    assert "line 2" in diags[0].message
    assert fired("BEGIN;\nSELECT 1;\nROLLBACK;") == []
    assert fired("BEGIN;\nSELECT 1;\nEND;") == []
    assert fired("BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;") == [(4, "uncommitted-transaction")]
    # a transaction the tool opened is the tool's to commit
    assert fired("SELECT 1;", assume_in_transaction=True) == []
    # per goose section
    goose = "-- +goose Up\nBEGIN;\nSELECT 1;\n-- +goose Down\nSELECT 2;\n"
    assert fired(goose.replace("-- +goose Up", "-- +goose NO TRANSACTION\n-- +goose Up")) == [
        (3, "uncommitted-transaction")]


def test_uncommitted_transaction_is_suppressible_at_the_begin():
    sql = "-- pglint: ignore[uncommitted-transaction] psql script, committed by hand\nBEGIN;\nSELECT 1;"
    assert rules_of(sql) == []

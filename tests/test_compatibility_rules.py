"""Backward-compatibility rules in context: objects created earlier in the file, down
migrations, schema dumps, replacements, CASCADE, placeholders."""

from conftest import lint, rules_of

LT = "SET lock_timeout = '2s';\n"
COMPAT = ["PG2"]  # only the compatibility rules, for tests about them


def compat(sql: str, **options) -> list[str]:
    options.setdefault("select", COMPAT)
    return rules_of(sql, **options)


def test_each_rule_fires_on_an_existing_object():
    cases = {
        "ALTER TABLE users DROP COLUMN email;": "drop-column",
        "DROP TABLE users;": "drop-table",
        "ALTER TABLE users RENAME COLUMN email TO mail;": "rename-column",
        "ALTER TABLE users RENAME TO members;": "rename-table",
        "TRUNCATE users;": "truncate-table",
        "DROP VIEW active_users;": "drop-object",
        "DROP DATABASE legacy;": "drop-object",
        "ALTER TABLE users DROP CONSTRAINT users_email_key;": "drop-object",
        "ALTER INDEX users_email_idx RENAME TO users_mail_idx;": "rename-object",
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;": "drop-not-null",
        "ALTER TABLE users ALTER COLUMN total DROP EXPRESSION;": "drop-generated-expression",
        "ALTER TABLE users SET SCHEMA archive;": "set-schema",
        "ALTER FUNCTION f(int) SET SCHEMA archive;": "set-schema",
        "ALTER TABLE users ALTER COLUMN id DROP IDENTITY;": "alter-identity",
    }
    for sql, rule in cases.items():
        assert compat(sql) == [rule], sql


def test_objects_created_earlier_in_the_file_are_exempt():
    sql = """CREATE TABLE t (id bigint PRIMARY KEY, a text, b text, g bigint GENERATED ALWAYS AS (id * 2) STORED);
ALTER TABLE t RENAME COLUMN a TO a2;
ALTER TABLE t DROP COLUMN b;
ALTER TABLE t ALTER COLUMN a2 DROP NOT NULL;
ALTER TABLE t ALTER COLUMN g DROP EXPRESSION;
ALTER TABLE t ADD CONSTRAINT t_a2_key UNIQUE (a2);
ALTER TABLE t RENAME CONSTRAINT t_a2_key TO t_a2_uniq;
ALTER TABLE t DROP CONSTRAINT t_a2_uniq;
CREATE INDEX t_a2 ON t (a2);
ALTER INDEX t_a2 RENAME TO t_a2_idx;
TRUNCATE t;
CREATE VIEW v AS SELECT id FROM t;
ALTER VIEW v RENAME TO w;
DROP VIEW w;
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
ALTER FUNCTION f() RENAME TO f2;
DROP FUNCTION f2();
CREATE TYPE mood AS ENUM ('sad', 'ok');
ALTER TYPE mood RENAME VALUE 'ok' TO 'fine';
ALTER TYPE mood RENAME TO feeling;
DROP TYPE feeling;
CREATE SCHEMA s;
ALTER TABLE t SET SCHEMA s;
DROP SCHEMA s CASCADE;
CREATE SEQUENCE q;
DROP SEQUENCE q;
CREATE DOMAIN d AS text;
DROP DOMAIN d;
CREATE EXTENSION IF NOT EXISTS hstore;
DROP EXTENSION hstore;
CREATE TABLE u (id bigint PRIMARY KEY);
ALTER TABLE u RENAME TO u2;
DROP TABLE u2;
"""
    assert compat(sql) == []


def test_column_added_earlier_is_new_but_older_columns_are_not():
    sql = "ALTER TABLE users ADD COLUMN nick text;\nALTER TABLE users DROP COLUMN nick;\nALTER TABLE users DROP COLUMN email;"
    diags = lint(sql, select=COMPAT)
    assert [(d.line, d.rule) for d in diags] == [(3, "drop-column")]


def test_down_migrations_are_informational_and_schema_dumps_exempt(tmp_path):
    # a rollback is linted, but what would break the running application is only info there
    # (issue 18; the `rollbacks` setting: test_rollbacks.py)
    goose = "-- +goose Up\nCREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY);\n-- +goose Down\nDROP TABLE t;\n"
    assert compat(goose) == []  # the down section drops what the up created
    dbmate = "-- migrate:up\nSELECT 1;\n-- migrate:down\nALTER TABLE t RENAME COLUMN a TO b;\n"
    (d,) = lint(dbmate, select=COMPAT)
    assert d.rule == "rename-column" and d.severity == "info" and d.rollback
    from pglint.config.settings import settings_from_table
    from pglint.engine.runner import run_paths

    for name in ("down.sql", "0001_init.down.sql", "0001_init.up.sql"):
        (tmp_path / name).write_text("DROP TABLE t;\n")
    settings, _ = settings_from_table({"select": COMPAT}, "<test>", str(tmp_path))
    res = run_paths([str(tmp_path)], settings, jobs=1)
    fired = {r.path.rsplit("/", 1)[-1]: [(d.rule, d.severity) for d in r.diagnostics] for r in res.files}
    assert fired == {"down.sql": [("drop-table", "info")], "0001_init.down.sql": [("drop-table", "info")],
                     "0001_init.up.sql": [("drop-table", "warning")]}
    dump = ("SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
            "DROP TABLE IF EXISTS public.t;\nALTER TABLE IF EXISTS ONLY public.u DROP CONSTRAINT IF EXISTS u_pkey;\n")
    assert compat(dump) == []


def test_rules_run_in_do_blocks_but_not_in_function_bodies():
    assert compat("DO $$ BEGIN DROP TABLE t; END $$;") == ["drop-table"]
    assert compat("CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE t; END $$;") == []


def test_cascade_is_named_in_the_message():
    (d,) = lint(LT + "TRUNCATE orders CASCADE;", select=COMPAT)
    assert d.rule == "truncate-table" and "CASCADE" in d.message
    assert "CASCADE also empties every table with a foreign key" in d.explanation
    (d,) = lint(LT + "TRUNCATE orders;", select=COMPAT)
    assert "CASCADE" not in d.message + d.explanation
    (d,) = lint("DROP TYPE mood CASCADE;", select=COMPAT)
    assert "table columns of that type" in d.explanation
    (d,) = lint("DROP TABLE t CASCADE;", select=COMPAT)
    assert "foreign keys of other tables" in d.explanation
    (d,) = lint("ALTER TABLE t DROP COLUMN c CASCADE;", select=COMPAT)
    assert "views, indexes and constraints" in d.explanation


def test_truncate_of_a_new_table_only_reports_the_old_ones():
    (d,) = lint("CREATE TABLE IF NOT EXISTS n (id bigint PRIMARY KEY);\nTRUNCATE n, old_one;", select=COMPAT)
    assert "old_one" in d.message and " n," not in d.message


def test_drop_object_names_the_kind():
    for sql, kind in (("DROP MATERIALIZED VIEW m;", "MATERIALIZED VIEW"), ("DROP PROCEDURE p();", "PROCEDURE"),
                      ("DROP AGGREGATE a(int);", "AGGREGATE"), ("DROP DOMAIN d;", "DOMAIN"),
                      ("DROP EXTENSION e;", "EXTENSION"), ("DROP SEQUENCE s;", "SEQUENCE"),
                      ("DROP SCHEMA s;", "SCHEMA"), ("DROP DATABASE db;", "DATABASE")):
        (d,) = lint(sql, select=COMPAT)
        assert d.message.startswith(f"DROP {kind} "), sql
    # indexes and triggers are not drop-object's
    assert compat("DROP TRIGGER tr ON t; DROP POLICY p ON t;") == []


def test_drop_then_create_again_is_a_replacement():
    assert compat("DROP VIEW v;\nCREATE VIEW v AS SELECT 1 AS x;") == []
    assert compat("DROP FUNCTION f(int);\nCREATE FUNCTION f(int, text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;") == []
    assert compat("DROP TYPE mood;\nCREATE TYPE mood AS ENUM ('a');") == []
    # not when the new one comes first, not with CASCADE (dependent objects are gone), not for tables
    assert compat("CREATE VIEW v2 AS SELECT 1 AS x;\nDROP VIEW v;") == ["drop-object"]
    assert compat("DROP VIEW v CASCADE;\nCREATE VIEW v AS SELECT 1 AS x;") == ["drop-object"]
    assert compat("DROP TABLE t;\nCREATE TABLE t (id bigint PRIMARY KEY);") == ["drop-table"]


def test_drop_constraint_replaced_in_the_same_statement_or_later():
    assert compat(LT + "ALTER TABLE t DROP CONSTRAINT t_a_key, ADD PRIMARY KEY (a);") == []
    assert compat(LT + "ALTER TABLE t DROP CONSTRAINT t_fk;\n"
                  "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES r (id) ON DELETE CASCADE NOT VALID;") == []
    assert compat(LT + "ALTER TABLE t DROP CONSTRAINT t_fk;\nALTER TABLE u ADD CONSTRAINT t_fk CHECK (x > 0);") == [
        "drop-object"]


def test_drop_constraint_says_what_kind_it_was():
    (d,) = lint(LT + "ALTER TABLE t DROP CONSTRAINT t_email_key;", select=COMPAT)
    assert "unique constraint" in d.message and "ON CONFLICT" in d.explanation
    (d,) = lint(LT + "ALTER TABLE t DROP CONSTRAINT t_owner_id_fkey;", select=COMPAT)
    assert "foreign key" in d.message
    known = ("ALTER TABLE t ADD CONSTRAINT positive CHECK (a > 0) NOT VALID;\nCOMMIT;\n"
             "ALTER TABLE t DROP CONSTRAINT positive;")
    diags = lint("BEGIN;\n" + known, select=COMPAT)
    assert [d.rule for d in diags] == []  # added earlier in the same file
    (d,) = lint("CREATE TABLE IF NOT EXISTS p (id bigint PRIMARY KEY);\nALTER TABLE t DROP CONSTRAINT t_pkey;",
                select=COMPAT)
    assert "primary key" in d.message


def test_rename_object_kinds_and_severity():
    (d,) = lint("ALTER INDEX i RENAME TO j;", select=COMPAT)
    assert d.rule == "rename-object" and d.severity == "info"
    (d,) = lint("ALTER SEQUENCE s RENAME TO s2;", select=COMPAT)
    assert d.severity == "warning" and "sequence" in d.message
    (d,) = lint("ALTER TYPE mood RENAME VALUE 'ok' TO 'fine';", select=COMPAT)
    assert "enum value 'ok'" in d.message and "invalid input value for enum" in d.explanation
    (d,) = lint("ALTER ROLE app RENAME TO application;", select=COMPAT)
    assert "MD5" in d.explanation
    (d,) = lint("ALTER SCHEMA billing RENAME TO invoicing;", select=COMPAT)
    assert "search_path" in d.explanation
    # ALTER TABLE ... RENAME of a view known from this file is a view rename
    sql = "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY);\nCREATE VIEW v AS SELECT id FROM t;\nCOMMIT;\n"
    assert compat("BEGIN;\n" + sql + "ALTER TABLE v RENAME TO w;") == []  # new view: exempt


def test_alter_identity_messages():
    (d,) = lint(LT + "ALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;", select=COMPAT)
    assert "starts at 1" in d.message and "non-DEFAULT" not in d.explanation
    (d,) = lint(LT + "ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;", select=COMPAT)
    assert "starts at 1" in d.message and "non-DEFAULT" in d.explanation
    (d,) = lint(LT + "ALTER TABLE t ALTER COLUMN id SET GENERATED ALWAYS;", select=COMPAT)
    assert d.message.startswith("SET GENERATED ALWAYS")
    (d,) = lint(LT + "ALTER TABLE t ALTER COLUMN id RESTART WITH 1;", select=COMPAT)
    assert d.message.startswith("RESTART")


def test_placeholders_are_shown_as_written():
    (d,) = lint("DROP FUNCTION @extschema@.old_helper(text);", select=COMPAT)
    assert "@extschema@.old_helper" in d.message
    (d,) = lint("DROP TABLE ${schema}.old_things;", select=COMPAT)
    assert "${schema}.old_things" in d.message


def test_every_compatibility_rule_is_suppressible_by_name():
    sql = "-- pglint: ignore[drop-table] archived\nDROP TABLE t;\nDROP TABLE u;"
    assert [(d.line, d.rule) for d in lint(sql, select=COMPAT)] == [(3, "drop-table")]


def test_swaps_keep_the_name():
    # Prisma's enum change: new type, move the column, swap the names, drop the old one
    prisma = """BEGIN;
CREATE TYPE "Sev_new" AS ENUM ('A', 'B');
ALTER TABLE monitors ALTER COLUMN sev TYPE "Sev_new" USING (sev::text::"Sev_new");
ALTER TYPE "Sev" RENAME TO "Sev_old";
ALTER TYPE "Sev_new" RENAME TO "Sev";
DROP TYPE "Sev_old";
COMMIT;"""
    assert compat(prisma) == []
    tables = "ALTER TABLE t RENAME TO t_old;\nALTER TABLE t_new RENAME TO t;\nDROP TABLE t_old;"
    assert [(d.line, d.rule) for d in lint(tables, select=COMPAT)] == [(3, "drop-table")]  # its rows are gone
    columns = "ALTER TABLE u RENAME COLUMN a TO a_old;\nALTER TABLE u ADD COLUMN a text;\nALTER TABLE u RENAME COLUMN x TO y;"
    assert [(d.line, d.rule) for d in lint(columns, select=COMPAT)] == [(3, "rename-column")]
    assert compat("ALTER VIEW v RENAME TO v_old;\nCREATE VIEW v AS SELECT 1 AS x;") == []
    # a rename whose old name nobody takes again is still a break
    assert compat("ALTER TYPE a RENAME TO a_old;\nALTER TYPE b RENAME TO a2;") == ["rename-object"]


def test_what_is_removed_from_a_table_dropped_later_goes_with_it():
    sql = LT + "ALTER TABLE g DROP CONSTRAINT g_trace_fkey;\nALTER TABLE g DROP COLUMN x;\nDROP TABLE g;"
    assert [(d.line, d.rule) for d in lint(sql, select=COMPAT)] == [(4, "drop-table")]


def test_rename_table_with_a_compatibility_view():
    sql = (LT + "BEGIN;\nALTER TABLE accounts RENAME TO organizations;\n"
           "CREATE VIEW accounts AS SELECT id, name FROM organizations;\nCOMMIT;")
    assert compat(sql) == []
    assert compat(LT + "ALTER TABLE accounts RENAME TO organizations;") == ["rename-table"]


def _history(sql):
    """The schema model after an earlier migration file."""
    from pglint.config.settings import Settings
    from pglint.engine.checker import replay
    from pglint.engine.runner import make_options
    from pglint.model.schema import SchemaModel
    from pglint.source.text import SourceText

    m = SchemaModel()
    replay(SourceText("h.sql", sql), make_options(Settings()), m, -1)
    return m


def test_dropping_a_trigger_function_breaks_no_client():
    # PostgreSQL refuses to call a RETURNS trigger function other than as a trigger ('trigger
    # functions can only be called as triggers'): only its triggers use it, and drop-object
    # leaves triggers out (a plain DROP fails while one remains, CASCADE drops them)
    earlier = ("CREATE TABLE t (id bigint PRIMARY KEY);\n"
               "CREATE FUNCTION t_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
               "CREATE FUNCTION \"Audit\"() RETURNS pg_catalog.event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;\n"
               "CREATE FUNCTION t_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM t $$;\n"
               "CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION t_touch();\n")
    assert compat("DROP TRIGGER t_touch ON t;\nDROP FUNCTION t_touch();", schema=_history(earlier)) == []
    assert compat("DROP FUNCTION t_touch CASCADE;", schema=_history(earlier)) == []
    assert compat("DROP FUNCTION \"Audit\"();", schema=_history(earlier)) == []
    # a function that returns a value, another overload, or one the history does not know: still reported
    assert compat("DROP FUNCTION t_count();", schema=_history(earlier)) == ["drop-object"]
    assert compat("DROP FUNCTION t_touch(int);", schema=_history(earlier)) == ["drop-object"]
    assert compat("DROP FUNCTION other_touch();", schema=_history(earlier)) == ["drop-object"]
    # dropped earlier in the history: no longer known as a trigger function
    assert compat("DROP FUNCTION t_touch();", schema=_history(earlier + "DROP FUNCTION t_touch() CASCADE;\n")) == [
        "drop-object"]
    assert compat("DROP FUNCTION \"Audit\"();", schema=_history(earlier + "DROP FUNCTION \"Audit\"();\n")) == [
        "drop-object"]


def test_renaming_a_trigger_function_is_information():
    # its triggers keep it by OID (they fire after the rename, checked on PostgreSQL 15) and
    # nothing else can call it: only scripts and later migrations that name it are left
    earlier = ("CREATE TABLE t (id bigint PRIMARY KEY);\n"
               "CREATE FUNCTION t_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
               "CREATE FUNCTION t_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM t $$;\n")
    (d,) = lint("ALTER FUNCTION t_touch() RENAME TO t_touch_v2;", select=COMPAT, schema=_history(earlier))
    assert (d.rule, d.severity) == ("rename-object", "info") and d.message.startswith("Renaming trigger function")
    (d,) = lint("ALTER FUNCTION t_count() RENAME TO t_total;", select=COMPAT, schema=_history(earlier))
    assert (d.rule, d.severity) == ("rename-object", "warning") and d.message.startswith("Renaming function")
    (d,) = lint("ALTER FUNCTION t_touch(int) RENAME TO t2;", select=COMPAT, schema=_history(earlier))
    assert d.severity == "warning"

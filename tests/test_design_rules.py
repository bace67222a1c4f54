"""Schema-design rules in context: where types are declared, keys, temporary tables,
down migrations, the end of the file, placeholders, versions."""

import pytest

from conftest import lint, rules_of

LT = "SET lock_timeout = '2s';\n"
TYPE_RULES = ["int-primary-key", "int-column", "serial-column", "timestamp-without-time-zone", "json-column",
              "char-column", "varchar-length", "money-column"]


def types(sql: str, **options) -> list[tuple[int, str]]:
    """(line, rule) of the type rules only (all of them, opt-in ones included)."""
    options.setdefault("select", TYPE_RULES)
    return [(d.line, d.rule) for d in lint(sql, **options)]


@pytest.mark.parametrize("typ,rule", [
    ("timestamp", "timestamp-without-time-zone"), ("timestamp(6) without time zone", "timestamp-without-time-zone"),
    ("timestamp[]", "timestamp-without-time-zone"), ("json", "json-column"), ("json[]", "json-column"),
    ("char(3)", "char-column"), ("character(3)", "char-column"), ("char", "char-column"), ("bpchar", "char-column"),
    ("varchar(20)", "varchar-length"), ("character varying(20)", "varchar-length"), ("money", "money-column"),
    ("serial", "serial-column"), ("serial8", "serial-column"), ('"serial"', "serial-column"),
    ("int", "int-column"), ("int4", "int-column"), ("smallint", "int-column"), ("integer[]", None),
])
def test_type_rules_in_create_add_and_alter(typ, rule):
    # serial is also an integer (int-column); bigserial is not
    expected = [rule] if rule else []
    if typ in ("serial", '"serial"'):
        expected = ["int-column", "serial-column"]
    for sql in (f"CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, c {typ});",
                f"{LT}ALTER TABLE t ADD COLUMN c {typ};",
                f"{LT}ALTER TABLE t ALTER COLUMN c TYPE {typ};"):
        if "serial" in typ and "ALTER COLUMN" in sql:
            continue  # not a type: ALTER COLUMN ... TYPE serial is an error in PostgreSQL
        assert sorted(r for _, r in types(sql)) == expected, sql


def test_types_that_are_fine():
    sql = ('CREATE TABLE IF NOT EXISTS t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a timestamptz, '
           'b jsonb, c text, d varchar, e numeric(12, 2), f "char", g bigint, h date, i time, j uuid);')
    assert types(sql) == []


def test_opt_in_type_rules_are_off_by_default():
    sql = "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, a varchar(10), b money, c int);"
    assert rules_of(sql) == []
    assert rules_of(sql, extend_select=["varchar-length", "money-column", "int-column"]) == [
        "int-column", "money-column", "varchar-length"]


def test_temporary_tables_and_down_migrations_are_exempt():
    assert types("CREATE TEMP TABLE t (a timestamp, b json, c serial);") == []
    assert types("CREATE TEMP TABLE t (a int);\nALTER TABLE t ADD COLUMN b timestamp;") == []
    goose = "-- +goose Up\nSELECT 1;\n-- +goose Down\nCREATE TABLE t (id serial PRIMARY KEY, at timestamp);\n"
    assert types(goose) == []
    # unlogged tables are real tables
    assert types("CREATE UNLOGGED TABLE t (a timestamp);") == [(1, "timestamp-without-time-zone")]


def test_each_column_is_reported_at_its_type():
    sql = "CREATE TABLE IF NOT EXISTS t (\n  id bigint PRIMARY KEY,\n  a timestamp,\n  b timestamp\n);"
    diags = lint(sql, select=["timestamp-without-time-zone"])
    assert [(d.line, d.column) for d in diags] == [(3, 5), (4, 5)]


def test_int_primary_key_finds_keys_wherever_they_are_declared():
    assert types("CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY);", select=["int-primary-key"]) == [
        (1, "int-primary-key")]
    assert types("CREATE TABLE IF NOT EXISTS t (id serial, PRIMARY KEY (id));", select=["int-primary-key"]) == [
        (1, "int-primary-key")]
    assert types("CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, owner_id integer REFERENCES users);",
                 select=["int-primary-key"]) == [(1, "int-primary-key")]
    assert types("CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, a smallint, FOREIGN KEY (a) REFERENCES r);",
                 select=["int-primary-key"]) == [(1, "int-primary-key")]
    assert types(LT + "ALTER TABLE t ADD COLUMN owner_id int REFERENCES users (id);", select=["int-primary-key"]) == [
        (2, "int-primary-key")]
    # a key added later over a column whose type the file declared (pg_dump style)
    sql = "CREATE TABLE IF NOT EXISTS t (id integer NOT NULL);\nALTER TABLE ONLY t ADD CONSTRAINT t_pkey PRIMARY KEY (id);"
    assert types(sql, select=["int-primary-key"]) == [(2, "int-primary-key")]
    # retyping a key column to integer
    sql = "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY);\nALTER TABLE t ALTER COLUMN id TYPE int;"
    assert types(sql, select=["int-primary-key"]) == [(2, "int-primary-key")]
    # bigint, uuid, bigserial keys are fine
    assert types("CREATE TABLE IF NOT EXISTS t (id bigserial PRIMARY KEY, u uuid REFERENCES x);",
                 select=["int-primary-key"]) == []


def test_int_primary_key_messages():
    (d,) = lint("CREATE TABLE IF NOT EXISTS t (id smallint PRIMARY KEY);", select=["int-primary-key"])
    assert "32,767" in d.message and "primary key" in d.message
    (d,) = lint("CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, u int REFERENCES users);",
                select=["int-primary-key"])
    assert "foreign key to users" in d.message and "2,147,483,647" in d.message


def test_int_column_leaves_keys_to_int_primary_key():
    sql = "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, owner_id int REFERENCES u, hits int);"
    assert types(sql, select=["int-column", "int-primary-key"]) == [
        (1, "int-primary-key"), (1, "int-primary-key"), (1, "int-column")]


def test_missing_primary_key():
    assert rules_of("CREATE TABLE IF NOT EXISTS t (a bigint);", select=["missing-primary-key"]) == [
        "missing-primary-key"]
    ok = [
        "CREATE TABLE IF NOT EXISTS t (a bigint PRIMARY KEY);",
        "CREATE TABLE IF NOT EXISTS t (a bigint, b bigint, PRIMARY KEY (a, b));",
        "CREATE TABLE IF NOT EXISTS t (a bigint NOT NULL);\nALTER TABLE ONLY t ADD CONSTRAINT t_pkey PRIMARY KEY (a);",
        "CREATE TEMP TABLE t (a bigint);",
        "CREATE UNLOGGED TABLE t (a bigint);",
        "CREATE TABLE t1 PARTITION OF t FOR VALUES IN (1);",
        "CREATE TABLE IF NOT EXISTS p (a bigint PRIMARY KEY) PARTITION BY LIST (a);\n"
        "CREATE TABLE IF NOT EXISTS p1 (a bigint NOT NULL);\nALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1);",
        "CREATE TABLE IF NOT EXISTS t (LIKE other INCLUDING ALL);",
        "CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS a;",
        "BEGIN;\nCREATE TABLE t (a bigint);\nDROP TABLE t;\nCOMMIT;",
        "CREATE TABLE IF NOT EXISTS t (a bigint);\nALTER TABLE t RENAME TO u;\nALTER TABLE u ADD PRIMARY KEY (a);",
    ]
    for sql in ok:
        assert rules_of(sql, select=["missing-primary-key"]) == [], sql


def test_missing_primary_key_with_a_unique_key_says_so():
    sql = "CREATE TABLE IF NOT EXISTS t (a bigint NOT NULL, b text);\nCREATE UNIQUE INDEX IF NOT EXISTS t_a ON t (a);"
    (d,) = lint(sql, select=["missing-primary-key"])
    assert "only a unique key on (a)" in d.message and "USING INDEX t_a" in d.help
    # a unique index on a nullable column is not a key
    sql = "CREATE TABLE IF NOT EXISTS t (a bigint, b text);\nCREATE UNIQUE INDEX IF NOT EXISTS t_a ON t (a);"
    (d,) = lint(sql, select=["missing-primary-key"])
    assert "unique key" not in d.message


def test_missing_primary_key_is_reported_at_the_table_and_suppressible_there():
    sql = "SELECT 1;\nCREATE TABLE IF NOT EXISTS t (\n  a bigint\n);\nSELECT 2;"
    (d,) = lint(sql, select=["missing-primary-key"])
    assert (d.line, d.column) == (2, 28)
    sql = "-- pglint: ignore[missing-primary-key] append-only log\nCREATE TABLE IF NOT EXISTS t (a bigint);\nSELECT 1;"
    assert rules_of(sql) == []


def test_missing_primary_key_per_goose_section():
    sql = "-- +goose Up\nCREATE TABLE IF NOT EXISTS t (a bigint);\n-- +goose Down\nDROP TABLE t;\n"
    assert [(d.line, d.rule) for d in lint(sql)] == [(2, "missing-primary-key")]


def test_identifier_too_long():
    name63 = "a" * 63
    name64 = "b" * 64
    assert rules_of(f"CREATE TABLE IF NOT EXISTS {name63} (id bigint PRIMARY KEY);") == []
    (d,) = lint(f"CREATE TABLE IF NOT EXISTS {name64} (id bigint PRIMARY KEY);")
    assert d.rule == "identifier-too-long" and "64 bytes" in d.message and f'"{"b" * 63}"' in d.help
    # bytes, not characters: 32 two-byte characters are 64 bytes
    (d,) = lint(f'CREATE TABLE IF NOT EXISTS "{"é" * 32}" (id bigint PRIMARY KEY);')
    assert d.rule == "identifier-too-long" and (d.column, d.end_column) == (28, 62)
    assert rules_of(f'CREATE TABLE IF NOT EXISTS "{"é" * 31}" (id bigint PRIMARY KEY);') == []


def test_identifier_too_long_once_per_name_and_not_in_strings_or_comments():
    long = "x" * 70
    sql = (f"-- {long}\nSELECT '{long}';\nSELECT 1 AS {long};\nSELECT 2 AS {long};\n"
           f"SELECT 3 AS {long}_2;")
    assert [(d.line, d.rule) for d in lint(sql)] == [(3, "identifier-too-long"), (5, "identifier-too-long")]


def test_identifier_too_long_inside_function_bodies_points_at_the_line():
    long = "y" * 64
    sql = f"DO $$\nBEGIN\n  PERFORM 1 AS {long};\nEND $$;"
    (d,) = lint(sql)
    assert d.rule == "identifier-too-long" and d.line == 3
    sql = f"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n  SELECT 1 AS {long}\n$$;"
    (d,) = lint(sql)
    assert d.rule == "identifier-too-long" and d.line == 2


def test_identifier_too_long_skips_template_placeholders():
    # a placeholder is replaced by an identifier of its own length before parsing
    sql = "CREATE TABLE IF NOT EXISTS ${" + "s" * 70 + "}.t (id bigint PRIMARY KEY);"
    assert rules_of(sql) == []
    sql = "CREATE TABLE IF NOT EXISTS :" + "v" * 70 + ".t (id bigint PRIMARY KEY);"
    assert rules_of(sql) == []


def test_enum_value_order_is_opt_in():
    sql = "ALTER TYPE mood ADD VALUE 'meh';"
    assert rules_of(sql) == []
    assert rules_of(sql, extend_select=["enum-value-order"]) == ["enum-value-order"]
    for ok in ("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';", "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'sad';",
               "ALTER TYPE mood RENAME VALUE 'a' TO 'b';"):
        assert rules_of(ok, select=["enum-value-order"]) == [], ok


def test_domain_check():
    assert rules_of("CREATE DOMAIN d AS int CHECK (VALUE > 0);") == ["domain-check"]
    assert rules_of("CREATE DOMAIN d AS int NOT NULL;") == []
    assert rules_of("ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);") == ["domain-check"]
    assert rules_of("ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID;") == []
    assert rules_of("ALTER DOMAIN d VALIDATE CONSTRAINT c;") == ["domain-check"]
    assert rules_of("ALTER DOMAIN d SET NOT NULL;") == ["domain-check"]
    assert rules_of("ALTER DOMAIN d DROP NOT NULL;") == []
    # a domain created in this file is used by no table that existed before
    assert rules_of("CREATE DOMAIN d AS int;\nALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);") == []


def test_statement_timeout_missing_is_opt_in_and_once_per_file():
    sql = LT + "ALTER TABLE a ADD COLUMN IF NOT EXISTS x text;\nALTER TABLE b ADD COLUMN x text;"
    assert "statement-timeout-missing" not in rules_of(sql)
    diags = lint(sql, select=["statement-timeout-missing"])
    assert [(d.line, d.rule) for d in diags] == [(2, "statement-timeout-missing")]
    assert rules_of("SET statement_timeout = '5min';\n" + sql, select=["statement-timeout-missing"]) == []
    assert rules_of("SET statement_timeout = 0;\n" + sql, select=["statement-timeout-missing"]) == [
        "statement-timeout-missing"]
    assert rules_of(sql, select=["statement-timeout-missing"], statement_timeout="5min") == []
    # a table created in the file takes no lock anyone waits for
    assert rules_of("CREATE TABLE IF NOT EXISTS n (id bigint PRIMARY KEY);\nALTER TABLE n ADD COLUMN x text;",
                    select=["statement-timeout-missing"]) == []


def test_parts_of_a_composite_primary_key_are_not_ids():
    sql = ("CREATE TABLE IF NOT EXISTS t (shard_id integer NOT NULL, task_id bigint NOT NULL, "
           "PRIMARY KEY (shard_id, task_id));")
    assert types(sql, select=["int-primary-key"]) == []
    assert types(sql, select=["int-column"]) == [(1, "int-column")]  # squawk's prefer-bigint-over-int
    # but a part that is a foreign key is one
    sql = ("CREATE TABLE IF NOT EXISTS user_roles (user_id int REFERENCES users, role_id bigint REFERENCES roles, "
           "PRIMARY KEY (user_id, role_id));")
    assert types(sql, select=["int-primary-key"]) == [(1, "int-primary-key")]


def test_fk_type_mismatch_compares_domains_by_the_type_under_them():
    # a domain's values are stored and compared as its base type: a key declared with a domain
    # over bigint matches a bigint key; over integer it does not
    from conftest import lint

    base = ("CREATE DOMAIN user_id AS bigint;\nCREATE DOMAIN small_id AS integer;\nCREATE DOMAIN sid AS small_id;\n"
            "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE accounts (id user_id PRIMARY KEY);\n")

    def fk(sql):
        return [d for d in lint(base + sql, select=["fk-type-mismatch"]) if d.rule == "fk-type-mismatch"]

    assert fk("CREATE TABLE a (user_id user_id REFERENCES users (id));") == []
    assert fk("CREATE TABLE b (account_id bigint REFERENCES accounts);") == []
    assert fk("CREATE TABLE c (ids user_id[], account_id public.user_id REFERENCES accounts (id));") == []
    (d,) = fk("CREATE TABLE d (user_id sid REFERENCES users (id));")
    assert d.message == "d.user_id is sid (integer) but it references users.id, which is bigint"
    (d,) = fk("CREATE TABLE e (account_id integer REFERENCES accounts);")
    assert d.message == "e.account_id is integer but it references accounts.id, which is user_id (bigint)"
    assert "(user_id)" in d.help
    # dropped again: no longer known as a domain
    assert len(fk("DROP DOMAIN user_id CASCADE;\nCREATE TABLE f (user_id user_id REFERENCES users (id));")) == 1


def test_char_column_without_a_length_is_not_padded():
    # bpchar with no length keeps 'ab  ' as 4 characters and takes any length (checked on
    # PostgreSQL 15): nothing is padded or refused, only trailing spaces compare as nothing
    from conftest import lint

    def only(sql):
        return [d for d in lint(sql, select=["char-column"]) if d.rule == "char-column"]

    (d,) = only("CREATE TABLE t (id bigint PRIMARY KEY, code pg_catalog.bpchar);")
    assert d.message == "t.code is bpchar: trailing spaces are ignored by = but not by LIKE"
    assert "padded" not in d.explanation and "too long" not in d.explanation
    (d,) = only("CREATE TABLE t (id bigint PRIMARY KEY, code char);")  # char alone is char(1)
    assert d.message == "t.code is char(1): values are blank-padded" and "too long" in d.explanation
    (d,) = only("CREATE TABLE t (id bigint PRIMARY KEY, code character(3));")
    assert d.message.endswith("values shorter than 3 characters are padded with spaces")

"""Context-dependent behaviour of the locking rules: transactions, versions, new objects."""

import conftest

LT = "SET lock_timeout = '2s';\n"


# These tests are about the locking rules (PG1xx) and the meta rules (PG0xx); the
# compatibility and design rules, which also look at these statements, have their own tests.
def lint(sql: str, **options):
    options.setdefault("select", ["PG0", "PG1"])
    return conftest.lint(sql, **options)


def rules_of(sql: str, **options) -> list[str]:
    return sorted({d.rule for d in lint(sql, **options)})


def test_new_table_is_exempt_everywhere_in_the_file():
    sql = LT + """CREATE TABLE t (id bigint PRIMARY KEY, a int);
CREATE INDEX t_a ON t (a);
ALTER TABLE t ADD COLUMN b uuid DEFAULT gen_random_uuid();
ALTER TABLE t ADD COLUMN c int NOT NULL;
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0);
ALTER TABLE t ALTER COLUMN a SET NOT NULL;
ALTER TABLE t ALTER COLUMN a TYPE bigint;
ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);
DROP INDEX t_a;
VACUUM FULL t;
"""
    assert rules_of(sql) == []


def test_table_dropped_and_recreated_is_new():
    assert rules_of(LT + "DROP TABLE IF EXISTS t; CREATE TABLE t (a int); CREATE INDEX ON t (a);") == []


def test_renamed_new_table_stays_new():
    assert rules_of(LT + "CREATE TABLE t (a int); ALTER TABLE t RENAME TO u; CREATE INDEX ON u (a);") == []


def test_default_index_name_is_known_for_drop():
    assert rules_of(LT + "CREATE TABLE t (a int); CREATE INDEX ON t (a); DROP INDEX t_a_idx;") == []


def test_add_column_default_by_version():
    sql = LT + "ALTER TABLE t ADD COLUMN a boolean NOT NULL DEFAULT false;"
    assert rules_of(sql) == []
    assert rules_of(sql, pg_version="10") == ["add-column-rewrites"]
    assert rules_of(sql, pg_version="11") == []
    assert rules_of(sql, pg_version="11.0") == []  # not squawk's 11 vs 11.0 quirk


def test_stable_defaults_do_not_rewrite():
    for default in ("now()", "CURRENT_TIMESTAMP", "now() - interval '1 day'", "ARRAY[]::text[]", "'{}'::jsonb",
                    "lower('X')", "NULL"):
        assert rules_of(LT + f"ALTER TABLE t ADD COLUMN a text DEFAULT {default};") == [], default


def test_volatile_and_unknown_defaults_rewrite():
    for default in ("random()", "clock_timestamp()", "nextval('s')", "uuid_generate_v4()", "my_func()"):
        diags = lint(LT + f"ALTER TABLE t ADD COLUMN a text DEFAULT {default};")
        assert [d.rule for d in diags] == ["add-column-rewrites"], default
    (d,) = lint(LT + "ALTER TABLE t ADD COLUMN a text DEFAULT my_func();")
    assert "may rewrite" in d.message and "cannot prove" in d.explanation


def test_function_declared_in_the_file_is_known():
    sql = LT + ("CREATE FUNCTION my_default() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'x' $$;\n"
                "ALTER TABLE t ADD COLUMN a text DEFAULT my_default();")
    assert rules_of(sql) == []


def test_serial_identity_generated_columns_rewrite():
    for coldef in ("a bigserial", "a bigint GENERATED ALWAYS AS IDENTITY", "a int GENERATED ALWAYS AS (b * 2) STORED"):
        assert "add-column-rewrites" in rules_of(LT + f"ALTER TABLE t ADD COLUMN {coldef};"), coldef
    assert rules_of(LT + "ALTER TABLE t ADD COLUMN a int GENERATED ALWAYS AS (b * 2) VIRTUAL;", pg_version="18") == []


def test_reindex_and_detach_are_version_gated():
    assert rules_of(LT + "REINDEX TABLE t;") == ["reindex-not-concurrent"]
    assert rules_of(LT + "REINDEX TABLE t;", pg_version="11") == []
    assert rules_of(LT + "ALTER TABLE p DETACH PARTITION p1;") == ["detach-partition-blocking"]
    assert rules_of(LT + "ALTER TABLE p DETACH PARTITION p1;", pg_version="13") == []


def test_concurrently_in_explicit_and_assumed_transactions():
    cic = "CREATE INDEX CONCURRENTLY i ON t (a);"
    assert rules_of(f"BEGIN; {cic} COMMIT;") == ["concurrently-in-transaction"]
    assert rules_of(cic, assume_in_transaction=True) == []  # a one-statement file is sent alone
    assert rules_of(f"{LT}{cic}", assume_in_transaction=True) == ["concurrently-in-transaction"]
    assert rules_of(f"-- pglint: no-transaction\n{LT}{cic}", assume_in_transaction=True) == []
    assert rules_of(f"BEGIN; COMMIT; {cic}") == []
    (d,) = lint(f"BEGIN;\n{cic}\nCOMMIT;")
    assert "opened at line 1" in d.message


def test_enum_add_value_in_transaction_before_12():
    sql = "BEGIN; ALTER TYPE mood ADD VALUE 'meh'; COMMIT;"
    assert rules_of(sql, pg_version="11") == ["enum-value-in-transaction"]
    assert rules_of(sql, pg_version="12") == []
    assert rules_of("ALTER TYPE mood ADD VALUE 'meh';", pg_version="11") == []


def test_set_not_null_with_validated_check_on_pg12():
    sql = LT + ("ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID;\n"
                "ALTER TABLE t VALIDATE CONSTRAINT c;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;")
    assert rules_of(sql) == []
    assert rules_of(sql, pg_version="11") == ["set-not-null-scan"]
    not_validated = LT + ("ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID;\n"
                          "ALTER TABLE t ALTER COLUMN a SET NOT NULL;")
    assert rules_of(not_validated) == ["set-not-null-scan"]
    other_column = LT + ("ALTER TABLE t ADD CONSTRAINT c CHECK (b IS NOT NULL) NOT VALID;\n"
                         "ALTER TABLE t VALIDATE CONSTRAINT c;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;")
    assert rules_of(other_column) == ["set-not-null-scan"]


def test_validate_in_same_transaction_only_inside_one():
    add = "ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES r (id) NOT VALID;"
    val = "ALTER TABLE t VALIDATE CONSTRAINT c;"
    assert rules_of(f"BEGIN; {LT}{add} {val} COMMIT;") == ["validate-in-same-transaction"]
    assert rules_of(f"BEGIN; {LT}{add} COMMIT; BEGIN; {val} COMMIT;") == []
    assert rules_of(f"{LT}{add} {val}") == []  # autocommit: separate transactions
    assert rules_of(f"{LT}{add} {val}", assume_in_transaction=True) == ["validate-in-same-transaction"]


def test_column_type_change_known_safe_and_unsafe():
    assert rules_of(LT + "ALTER TABLE t ADD COLUMN a varchar(10); ALTER TABLE t ALTER COLUMN a TYPE text;") == []
    assert rules_of(LT + "ALTER TABLE t ADD COLUMN a varchar(10); ALTER TABLE t ALTER COLUMN a TYPE varchar(5);") == [
        "column-type-rewrite"]
    assert rules_of(LT + "ALTER TABLE t ADD COLUMN a numeric(10,2); ALTER TABLE t ALTER COLUMN a TYPE numeric(12,2);") == []
    assert rules_of(LT + "ALTER TABLE t ADD COLUMN a numeric(10,2); ALTER TABLE t ALTER COLUMN a TYPE numeric(12,3);") == [
        "column-type-rewrite"]
    (d,) = lint(LT + "ALTER TABLE t ADD COLUMN a int; ALTER TABLE t ALTER COLUMN a TYPE bigint;")
    assert "from integer to bigint" in d.message
    (d,) = lint(LT + "ALTER TABLE t ALTER COLUMN a TYPE bigint;")
    assert "may rewrite" in d.message and "does not know" in d.explanation
    tz = LT + "ALTER TABLE t ADD COLUMN a timestamp; ALTER TABLE t ALTER COLUMN a TYPE timestamptz;"
    assert rules_of(tz) == ["column-type-rewrite"]
    assert rules_of(tz, timezone_utc=True) == []


def test_timestamp_to_timestamptz_follows_the_files_own_time_zone():
    # PostgreSQL 12+ changes timestamp <-> timestamptz in place when the session TimeZone has
    # a fixed zero offset (checked on PostgreSQL 15: relfilenode unchanged under UTC, GMT,
    # Zulu, SET TIME ZONE 0; a new one under Europe/London)
    alter = "ALTER TABLE t ALTER COLUMN a TYPE timestamptz USING a;\n"
    hist = _history("CREATE TABLE t (id bigint PRIMARY KEY, a timestamp);")
    for zone in ("SET timezone = 'UTC';", "SET TIME ZONE 'Etc/UTC';", "SET TIME ZONE 0;", "SET timezone TO 'gmt';"):
        assert rules_of(LT + zone + "\n" + alter, schema=_history("CREATE TABLE t (a timestamp);")) == [], zone
    assert rules_of(LT + "SET timezone = 'UTC';\n" + alter, schema=hist, pg_version="11") == ["column-type-rewrite"]
    (d,) = lint(LT + "SET timezone = 'Europe/London';\n" + alter, schema=_history("CREATE TABLE t (a timestamp);"))
    assert "rewrites" in d.message and "may rewrite" not in d.message
    # the file's own setting overrides the configured assumption, both ways
    paris = LT + "SET timezone = 'Europe/Paris';\n" + alter
    assert rules_of(paris, schema=_history("CREATE TABLE t (a timestamp);"), timezone_utc=True) == [
        "column-type-rewrite"]
    # SET LOCAL ends with its transaction; RESET goes back to the server's (unknown) zone
    local = LT + "BEGIN;\nSET LOCAL timezone = 'UTC';\nCOMMIT;\n" + alter
    (d,) = lint(local, schema=_history("CREATE TABLE t (a timestamp);"), select=["column-type-rewrite"])
    assert "may rewrite" in d.message
    reset = LT + "SET timezone = 'UTC';\nRESET timezone;\n" + alter
    assert rules_of(reset, schema=_history("CREATE TABLE t (a timestamp);")) == ["column-type-rewrite"]


def test_lock_timeout_once_per_file_and_reset_by_zero():
    sql = "ALTER TABLE a ADD COLUMN x int;\nALTER TABLE b ADD COLUMN x int;"
    diags = lint(sql)
    assert [(d.line, d.rule) for d in diags] == [(1, "lock-timeout-missing")]
    assert rules_of("SET lock_timeout = 0;\nALTER TABLE a ADD COLUMN x int;") == ["lock-timeout-missing"]
    assert rules_of("SELECT set_config('lock_timeout', '1s', false);\nALTER TABLE a ADD COLUMN x int;") == []
    assert rules_of("ALTER TABLE a ADD COLUMN x int;", lock_timeout="3s") == []
    # SET LOCAL outside a transaction block does nothing
    assert rules_of("SET LOCAL lock_timeout = '1s';\nALTER TABLE a ADD COLUMN x int;") == ["lock-timeout-missing"]
    # a rolled-back SET is undone
    assert rules_of("BEGIN; SET lock_timeout = '1s'; ROLLBACK;\nALTER TABLE a ADD COLUMN x int;") == [
        "lock-timeout-missing"]


def test_lock_timeout_names_the_lock():
    (d,) = lint("CREATE TABLE n (x int REFERENCES accounts (id));", select=["lock-timeout-missing"])
    assert d.rule == "lock-timeout-missing" and "SHARE ROW EXCLUSIVE lock on accounts" in d.message
    assert rules_of("CREATE INDEX CONCURRENTLY i ON t (a);") == []  # SHARE UPDATE EXCLUSIVE
    assert rules_of("ALTER TABLE t VALIDATE CONSTRAINT c;") == []


def test_statements_after_exclusive_lock():
    base = "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE t ADD COLUMN a int;\n"
    diags = lint(base + "UPDATE u SET b = 1 WHERE c;\nSELECT 1;\nCOMMIT;")
    assert [(d.line, d.rule) for d in diags] == [(4, "statements-after-exclusive-lock")]
    assert rules_of(base + "COMMIT;") == []
    assert rules_of("BEGIN;\nCREATE TABLE n (a int);\nALTER TABLE n ADD COLUMN b int;\nSELECT 1;\nCOMMIT;") == []


def test_unique_and_primary_key_and_exclude():
    assert rules_of(LT + "ALTER TABLE t ADD CONSTRAINT k UNIQUE (a);") == ["unique-without-index"]
    assert rules_of(LT + "ALTER TABLE t ADD CONSTRAINT k UNIQUE USING INDEX k;") == []
    assert rules_of(LT + "ALTER TABLE t ADD PRIMARY KEY (id);") == ["unique-without-index"]
    assert rules_of(LT + "ALTER TABLE t ADD COLUMN k int UNIQUE;") == ["unique-without-index"]
    (d,) = lint(LT + "ALTER TABLE t ADD CONSTRAINT e EXCLUDE USING gist (r WITH &&);")
    assert "no online way" in d.help


def test_inline_foreign_key_in_add_column():
    (d,) = lint(LT + "ALTER TABLE t ADD COLUMN org_id bigint DEFAULT 1 REFERENCES orgs (id) ON DELETE CASCADE;")
    assert d.rule == "constraint-without-not-valid"
    assert "FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE NOT VALID" in d.help


def test_inline_foreign_key_on_a_column_that_starts_null_is_not_validated():
    # PostgreSQL marks the key valid without reading a row when the new column has no
    # default (parse_utilcmd.c; on 15 the table's seq_scan count does not move)
    assert rules_of(LT + "ALTER TABLE t ADD COLUMN org_id bigint REFERENCES orgs (id);") == []
    for filled in ("DEFAULT NULL", "DEFAULT 1", "GENERATED ALWAYS AS (a) STORED"):
        sql = LT + f"ALTER TABLE t ADD COLUMN org_id bigint {filled} REFERENCES orgs (id);"
        assert rules_of(sql, select=["constraint-without-not-valid"]) == ["constraint-without-not-valid"], filled
    # an inline CHECK is validated all the same
    assert rules_of(LT + "ALTER TABLE t ADD COLUMN n int CHECK (n > 0);") == ["constraint-without-not-valid"]
    # before 13 one decision covered the whole statement
    mixed = LT + "ALTER TABLE t ADD COLUMN org_id bigint REFERENCES orgs (id), ADD COLUMN k int DEFAULT 0;"
    assert rules_of(mixed) == []
    assert rules_of(mixed, pg_version="12") == ["constraint-without-not-valid"]


def test_attach_partition_with_and_without_check():
    attach = "ALTER TABLE m ATTACH PARTITION m1 FOR VALUES FROM (1) TO (10);"
    assert rules_of(LT + attach) == ["attach-partition-scan"]
    ok = LT + ("ALTER TABLE m1 ADD CONSTRAINT b CHECK (k >= 1 AND k < 10) NOT VALID;\n"
               "ALTER TABLE m1 VALIDATE CONSTRAINT b;\n" + attach)
    assert rules_of(ok) == []
    keyed = LT + "CREATE TABLE m (k int) PARTITION BY RANGE (k);\n" + attach
    (d,) = lint(keyed)
    assert "CHECK (k IS NOT NULL AND k >= 1 AND k < 10)" in d.help


def test_locking_rules_ignore_function_bodies_but_not_do_blocks():
    fn = LT + "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE INDEX i ON t (a); END $$;"
    assert rules_of(fn) == []
    do = LT + "DO $$ BEGIN CREATE INDEX i ON t (a); END $$;"
    (d,) = lint(do)
    assert d.rule == "index-not-concurrent" and d.column == 13


def test_rollback_files_are_linted():
    diags = lint(LT + "CREATE INDEX i ON t (a);", path="migrations/001_x.down.sql")
    assert [d.rule for d in diags] == ["index-not-concurrent"]


def test_diagnostic_spans_point_at_the_subcommand():
    (d,) = lint(LT + "ALTER TABLE t\n  ADD COLUMN a int,\n  ADD COLUMN b int NOT NULL,\n  ADD COLUMN c int;")
    assert (d.line, d.column, d.end_line, d.end_column) == (4, 3, 4, 28)  # end is exclusive


def test_lock_timeout_set_in_a_down_migration_counts_there():
    goose = "-- +goose Up\nSELECT 1;\n-- +goose Down\nSET LOCAL lock_timeout = '2s';\nALTER TABLE t DROP COLUMN c;\n"
    assert rules_of(goose) == []
    goose_unset = "-- +goose Up\nSELECT 1;\n-- +goose Down\nALTER TABLE t DROP COLUMN c;\n"
    assert rules_of(goose_unset) == ["lock-timeout-missing"]


def test_attaching_an_index_partition_reads_no_rows():
    # ALTER INDEX ... ATTACH PARTITION is catalog-only (no scan of the partition, checked on
    # PostgreSQL 15 with pg_stat_user_tables.seq_scan); attaching the table still scans it
    sql = LT + ("ALTER INDEX m_a_idx ATTACH PARTITION m1_a_idx;\n"
                "ALTER TABLE m ATTACH PARTITION m1 FOR VALUES FROM (1) TO (10);\n")
    assert [(d.rule, d.line) for d in lint(sql)] == [("attach-partition-scan", 3)]


def _history(sql):
    """The schema after an earlier file of the history (its objects exist before the linted one)."""
    from pglint.config.settings import Settings
    from pglint.engine.checker import replay
    from pglint.engine.runner import make_options
    from pglint.model.schema import SchemaModel
    from pglint.source.text import SourceText

    m = SchemaModel()
    replay(SourceText("h.sql", sql), make_options(Settings()), m, -1)
    return m


def test_index_on_only_a_partitioned_table_builds_nothing():
    # ON ONLY a partitioned table creates the parent's index invalid, in the catalog alone (on
    # PostgreSQL 15 no partition gets an index); CONCURRENTLY is refused there
    part = "CREATE TABLE m (k int, a int) PARTITION BY RANGE (k);"
    assert rules_of(LT + "CREATE INDEX m_a_idx ON ONLY m (a);", schema=_history(part)) == []
    assert rules_of(LT + "CREATE INDEX m_a_idx ON m (a);", schema=_history(part)) == ["index-not-concurrent"]
    # ON ONLY a plain table still builds the index
    assert rules_of(LT + "CREATE INDEX t_a_idx ON ONLY t (a);", schema=_history("CREATE TABLE t (a int);")) \
        == ["index-not-concurrent"]


def test_schema_dump_blocks_no_application():
    # pg_dump --clean --if-exists (Rails structure.sql with those flags) drops what it is
    # about to recreate: the restore runs where no application holds a lock yet
    body = ("DROP INDEX IF EXISTS public.index_users_on_email;\n"
            "ALTER TABLE IF EXISTS ONLY public.users DROP CONSTRAINT IF EXISTS users_pkey;\n")
    dump = "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n" + body
    assert rules_of(dump) == []
    assert rules_of(body) == ["drop-index-not-concurrent", "lock-timeout-missing"]


def test_drop_index_if_exists_of_an_index_no_migration_creates_says_so(tmp_path):
    # with the whole history known, DROP INDEX IF EXISTS of a name no migration creates may
    # do nothing at all (PostgreSQL then locks nothing): the finding says it is conditional
    from pglint.config.settings import settings_from_table
    from pglint.engine.runner import run_paths

    (tmp_path / "V1__init.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY, a int);\n"
                                           "CREATE INDEX t_a_idx ON t (a);\n")
    (tmp_path / "V2__drop.sql").write_text(LT + "DROP INDEX IF EXISTS never_made_idx;\n")
    (tmp_path / "V3__drop.sql").write_text(LT + "DROP INDEX IF EXISTS t_a_idx;\n")
    settings, _ = settings_from_table({"select": ["drop-index-not-concurrent"]}, "<test>", str(tmp_path))
    res = run_paths([str(tmp_path)], settings, jobs=1)
    found = {r.path.rsplit("/", 1)[-1]: r.diagnostics for r in res.files}
    (unknown,) = found["V2__drop.sql"]
    assert "if it exists" in unknown.message and "No earlier migration creates" in unknown.explanation
    (known,) = found["V3__drop.sql"]
    assert known.message == "DROP INDEX t_a_idx takes an ACCESS EXCLUSIVE lock on table t"
    # a single file: pglint knows too little to doubt the index
    (d,) = lint(LT + "DROP INDEX IF EXISTS never_made_idx;", select=["drop-index-not-concurrent"])
    assert "if it exists" not in d.message


def test_set_local_in_a_do_block_lasts_until_the_do_ends():
    # a DO block runs in a transaction of its own outside a transaction block: SET LOCAL and
    # set_config(..., true) in its body hold for the rest of the body, and end with it
    # (PostgreSQL 15: current_setting inside shows 2s, SHOW after the DO shows 0)
    inside = "DO $$\nBEGIN\n  SET LOCAL lock_timeout = '2s';\n  ALTER TABLE t ADD COLUMN x int;\nEND $$;\n"
    assert rules_of(inside, select=["lock-timeout-missing"]) == []
    perform = "DO $$\nBEGIN\n  PERFORM set_config('lock_timeout', '2s', true);\n  ALTER TABLE t ADD COLUMN x int;\nEND $$;\n"
    assert rules_of(perform, select=["lock-timeout-missing"]) == []
    after = "DO $$\nBEGIN\n  SET LOCAL lock_timeout = '2s';\nEND $$;\nALTER TABLE t ADD COLUMN x int;\n"
    (d,) = lint(after, select=["lock-timeout-missing"])
    assert d.line == 5
    in_block = "BEGIN;\nDO $$ BEGIN SET LOCAL lock_timeout = '2s'; END $$;\nALTER TABLE t ADD COLUMN x int;\nCOMMIT;\n"
    assert rules_of(in_block, select=["lock-timeout-missing"]) == []

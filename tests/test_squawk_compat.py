"""Coming from squawk: the rule mapping, squawk-ignore comments under squawk-compat, and
parity: for every rule squawk 2.70 runs by default, SQL it reports is reported by pglint."""

import pytest

from conftest import lint, rules_of
from pglint.engine.registry import all_rules
from pglint.engine.squawk_compat import SQUAWK_TO_PGLINT

LT = "SET lock_timeout = '2s';\n"

# Rules of squawk 2.70.0 that are on by default: found by running the squawk-cli 2.70.0
# wheel from PyPI on one file per rule with and without --include (prefer-repack is on by
# default but only reports from --pg-version 19).
SQUAWK_DEFAULT_RULES = {
    "adding-field-with-default", "adding-foreign-key-constraint", "adding-not-nullable-field",
    "adding-required-field", "adding-serial-primary-key-field", "ban-alter-domain-with-add-constraint",
    "ban-alter-identity", "ban-char-field", "ban-concurrent-index-creation-in-transaction",
    "ban-create-domain-with-constraint", "ban-drop-column", "ban-drop-constraint", "ban-drop-database",
    "ban-drop-domain", "ban-drop-extension", "ban-drop-function", "ban-drop-generated-expression",
    "ban-drop-not-null", "ban-drop-schema", "ban-drop-sequence", "ban-drop-table", "ban-drop-type",
    "ban-drop-view", "ban-duplicate-column-assignments", "ban-set-schema", "ban-truncate-cascade",
    "ban-uncommitted-transaction", "changing-column-type", "constraint-missing-not-valid",
    "disallowed-unique-constraint", "identifier-too-long", "prefer-bigint-over-int", "prefer-bigint-over-smallint",
    "prefer-identity", "prefer-repack", "prefer-robust-stmts", "prefer-text-field", "prefer-timestamp-tz",
    "renaming-column", "renaming-object", "renaming-table", "require-concurrent-index-creation",
    "require-concurrent-index-deletion", "require-concurrent-partition-detach", "require-concurrent-reindex",
    "require-enum-value-ordering", "require-lock-timeout", "require-statement-timeout", "transaction-nesting",
}

# Rules of the queries-and-security part of issue 3, written on another branch: the mapping
# names them before they exist here.
OTHER_BRANCH = {"duplicate-assignment"}

OPT_IN = ["varchar-length", "int-column", "statement-timeout-missing", "enum-value-order"]

# SQL on which squawk 2.70.0 (default settings) reports the rule (checked by running it).
PROBES = [
    ("require-concurrent-index-creation", "CREATE INDEX IF NOT EXISTS i ON t (a);"),
    ("require-concurrent-index-deletion", "DROP INDEX IF EXISTS i;"),
    ("constraint-missing-not-valid", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);"),
    ("constraint-missing-not-valid",
     "BEGIN;\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;\nCOMMIT;"),
    ("adding-field-with-default", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b uuid DEFAULT gen_random_uuid();"),
    ("adding-field-with-default", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b bigint GENERATED ALWAYS AS (a * 2) STORED;"),
    ("adding-foreign-key-constraint", "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u_id) REFERENCES u (id);"),
    # squawk also reports the column without the DEFAULT, which PostgreSQL adds without
    # validating the key (every row holds NULL): pglint does not (constraint-without-not-valid)
    ("adding-foreign-key-constraint", "ALTER TABLE t ADD COLUMN IF NOT EXISTS u_id bigint DEFAULT 0 REFERENCES u (id);"),
    ("changing-column-type", "ALTER TABLE t ALTER COLUMN a TYPE bigint;"),
    ("adding-not-nullable-field", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    ("adding-serial-primary-key-field", "ALTER TABLE t ADD PRIMARY KEY (id);"),
    ("adding-serial-primary-key-field", "ALTER TABLE t ADD COLUMN IF NOT EXISTS id bigserial PRIMARY KEY;"),
    ("renaming-column", "ALTER TABLE t RENAME COLUMN a TO b;"),
    ("renaming-table", "ALTER TABLE t RENAME TO u;"),
    ("disallowed-unique-constraint", "ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a);"),
    ("disallowed-unique-constraint", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b text UNIQUE;"),
    ("ban-drop-database", "DROP DATABASE IF EXISTS d;"),
    ("prefer-bigint-over-int", "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, n int);"),
    ("prefer-bigint-over-smallint", "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, n smallint);"),
    ("prefer-identity", "CREATE TABLE IF NOT EXISTS t (id bigserial PRIMARY KEY);"),
    ("prefer-identity", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b serial;"),
    ("prefer-robust-stmts", "CREATE TABLE t (id bigint PRIMARY KEY);\nCREATE TABLE u (id bigint PRIMARY KEY);"),
    ("prefer-robust-stmts", "ALTER TABLE t ADD COLUMN b text;\nALTER TABLE t ADD COLUMN c text;"),
    ("prefer-text-field", "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, n varchar(10));"),
    ("prefer-timestamp-tz", "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, n timestamp);"),
    ("ban-char-field", "CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, n char(10));"),
    ("ban-drop-column", "ALTER TABLE t DROP COLUMN IF EXISTS a;"),
    ("ban-drop-table", "DROP TABLE IF EXISTS t;"),
    ("ban-drop-not-null", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    ("transaction-nesting", "BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;"),
    ("transaction-nesting", "SELECT 1;\nCOMMIT;"),
    ("adding-required-field", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b text NOT NULL;"),
    ("ban-concurrent-index-creation-in-transaction", "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nCOMMIT;"),
    ("ban-create-domain-with-constraint", "CREATE DOMAIN d AS int CHECK (VALUE > 0);"),
    ("ban-alter-domain-with-add-constraint", "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);"),
    ("ban-truncate-cascade", "TRUNCATE t CASCADE;"),
    ("ban-uncommitted-transaction", "BEGIN;\nSELECT 1;"),
    ("require-enum-value-ordering", "ALTER TYPE e ADD VALUE 'x';"),
    ("identifier-too-long", "CREATE TABLE IF NOT EXISTS " + "x" * 70 + " (id bigint PRIMARY KEY);"),
    ("require-concurrent-partition-detach", "ALTER TABLE t DETACH PARTITION p;"),
    ("require-concurrent-reindex", "REINDEX TABLE t;"),
    ("require-lock-timeout", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b text;"),
    ("require-statement-timeout", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b text;"),
    ("ban-drop-view", "DROP VIEW IF EXISTS v;"),
    ("ban-drop-function", "DROP FUNCTION IF EXISTS f();"),
    ("ban-drop-type", "DROP TYPE IF EXISTS ty;"),
    ("ban-drop-schema", "DROP SCHEMA IF EXISTS s;"),
    ("ban-drop-sequence", "DROP SEQUENCE IF EXISTS sq;"),
    ("ban-drop-domain", "DROP DOMAIN IF EXISTS d;"),
    ("ban-drop-constraint", "ALTER TABLE t DROP CONSTRAINT IF EXISTS c;"),
    ("ban-drop-generated-expression", "ALTER TABLE t ALTER COLUMN a DROP EXPRESSION;"),
    ("renaming-object", "ALTER TABLE t RENAME CONSTRAINT a TO b;"),
    ("renaming-object", "ALTER INDEX i RENAME TO j;"),
    ("renaming-object", "ALTER VIEW v RENAME TO w;"),
    ("ban-set-schema", "ALTER TABLE t SET SCHEMA s;"),
    ("ban-alter-identity", "ALTER TABLE t ALTER COLUMN a DROP IDENTITY;"),
    ("ban-alter-identity", "ALTER TABLE t ALTER COLUMN a SET GENERATED ALWAYS;"),
    ("ban-drop-extension", "DROP EXTENSION IF EXISTS e;"),
    ("ban-duplicate-column-assignments", "UPDATE t SET a = 1, a = 2 WHERE id = 1;"),
    ("prefer-repack", "VACUUM FULL t;"),  # squawk: only with --pg-version 19
]


def test_every_default_squawk_rule_is_mapped():
    assert SQUAWK_DEFAULT_RULES - set(SQUAWK_TO_PGLINT) == set()
    assert {r for r, _ in PROBES} == SQUAWK_DEFAULT_RULES


def test_mapped_names_are_pglint_rules():
    registered = set(all_rules())
    for squawk, names in SQUAWK_TO_PGLINT.items():
        assert names, squawk
        for n in names:
            assert n in registered or n in OTHER_BRANCH, (squawk, n)


@pytest.mark.parametrize("squawk,sql", PROBES, ids=[f"{r}:{i}" for i, (r, _) in enumerate(PROBES)])
def test_parity_pglint_reports_what_squawk_reports(squawk, sql):
    want = set(SQUAWK_TO_PGLINT[squawk])
    registered = set(all_rules())
    if not want & registered:
        assert want <= OTHER_BRANCH  # written on the other branch: checked once merged
        return
    fired = set(rules_of(sql, extend_select=OPT_IN))
    assert want & fired, f"squawk's {squawk} -> {sorted(want)}; pglint reported {sorted(fired)}"


def test_squawk_ignore_needs_squawk_compat():
    sql = LT + "-- squawk-ignore adding-field-with-default\nALTER TABLE t ADD COLUMN a uuid DEFAULT gen_random_uuid();"
    assert rules_of(sql) == ["add-column-rewrites"]
    assert rules_of(sql, squawk_compat=True) == []


def test_squawk_ignore_applies_to_the_next_statement_only():
    sql = (LT + "-- squawk-ignore adding-field-with-default\nALTER TABLE t ADD COLUMN IF NOT EXISTS a uuid DEFAULT "
           "gen_random_uuid();\nALTER TABLE t ADD COLUMN b uuid DEFAULT gen_random_uuid();")
    assert [(d.line, d.rule) for d in lint(sql, squawk_compat=True)] == [(4, "add-column-rewrites")]


def test_squawk_ignore_trailing_comment_and_several_rules():
    sql = ("ALTER TABLE t ADD COLUMN IF NOT EXISTS a uuid DEFAULT gen_random_uuid(); "
           "-- squawk-ignore adding-field-with-default, require-lock-timeout")
    assert rules_of(sql, squawk_compat=True) == []


def test_squawk_ignore_file():
    sql = "-- squawk-ignore-file require-lock-timeout\nALTER TABLE t ADD COLUMN a uuid DEFAULT gen_random_uuid();"
    assert rules_of(sql) == ["add-column-rewrites", "lock-timeout-missing"]
    assert rules_of(sql, squawk_compat=True) == ["add-column-rewrites"]
    everything = "-- squawk-ignore-file\nALTER TABLE t ADD COLUMN a uuid DEFAULT gen_random_uuid();"
    assert rules_of(everything) == ["add-column-rewrites", "lock-timeout-missing"]
    assert rules_of(everything, squawk_compat=True) == []
    (d,) = lint("-- squawk-ignore-file\nSELECT 1;", squawk_compat=True)
    assert d.rule == "unused-suppression" and "silenced nothing" in d.message


def test_squawk_rule_mapped_to_several_pglint_rules():
    sql = LT + "-- squawk-ignore prefer-bigint-over-int\nCREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, n int);"
    assert rules_of(sql) == ["int-primary-key"]
    assert rules_of(sql, squawk_compat=True) == []
    # one of the mapped rules silenced is enough: the others are not reported as unused
    assert rules_of(sql, squawk_compat=True, extend_select=["int-column"]) == []


def test_unknown_squawk_rule_is_reported():
    sql = LT + "-- squawk-ignore not-a-squawk-rule\nALTER TABLE t ADD COLUMN IF NOT EXISTS a text;"
    (d,) = lint(sql, squawk_compat=True)
    assert d.rule == "unused-suppression" and "not-a-squawk-rule" in d.message


def test_unused_squawk_ignore_is_reported():
    sql = LT + "-- squawk-ignore renaming-column\nALTER TABLE t ADD COLUMN IF NOT EXISTS a text;"
    (d,) = lint(sql, squawk_compat=True)
    assert d.rule == "unused-suppression" and "rename-column" in d.message


def test_mapped_names_that_are_not_registered_are_tolerated(monkeypatch):
    monkeypatch.setitem(SQUAWK_TO_PGLINT, "some-squawk-rule", ["rule-of-another-branch", "index-not-concurrent"])
    monkeypatch.setitem(SQUAWK_TO_PGLINT, "only-elsewhere", ["rule-of-another-branch"])
    sql = (LT + "-- squawk-ignore some-squawk-rule\nCREATE INDEX IF NOT EXISTS i ON t (a);\n"
           "-- squawk-ignore only-elsewhere\nSELECT 1;\n"
           "-- squawk-ignore-file only-elsewhere\n")
    assert lint(sql, squawk_compat=True) == []
    # a real mapping
    sql = "-- squawk-ignore ban-duplicate-column-assignments\nUPDATE t SET a = 1, a = 2 WHERE id = 1;"
    assert lint(sql, squawk_compat=True) == []

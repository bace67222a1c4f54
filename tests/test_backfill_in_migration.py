"""Issue 18, point 4: backfill-in-migration (PG408)."""

from __future__ import annotations

import pytest

from pglint.config.settings import Settings
from pglint.engine.runner import lint_text

RULES = ["backfill-in-migration", "update-without-where", "delete-without-where"]


def fired(sql, path="migration.sql", **kw):
    res = lint_text(sql, path, settings=Settings(select=RULES, **kw))
    return [(d.line, d.rule) for d in res.diagnostics]


@pytest.mark.parametrize("sql", [
    "UPDATE ledger SET amount_cents = amount * 100 WHERE amount_cents IS NULL;",
    "UPDATE ledger SET owner = w.owner FROM wallets w WHERE ledger.wallet_id = w.id;",
    "DELETE FROM ledger WHERE created_at < '2019-01-01';",                 # one-sided range
    "UPDATE ledger SET flag = true WHERE id > 100;",
    "UPDATE ledger SET flag = true WHERE id IN (SELECT ledger_id FROM audits);",  # no LIMIT
    "UPDATE ledger SET flag = true WHERE id = 1 OR flag IS NULL;",
    "DO $$ BEGIN UPDATE ledger SET flag = true WHERE NOT flag; END $$;",
])
def test_unbounded_backfills_are_reported(sql):
    assert fired(sql) == [(1, "backfill-in-migration")]


@pytest.mark.parametrize("sql", [
    "UPDATE ledger SET flag = true WHERE id BETWEEN 1 AND 10000 AND flag IS NULL;",
    "UPDATE ledger SET flag = true WHERE id >= 1 AND id < 10001;",
    "UPDATE ledger SET flag = true WHERE 10001 > id AND id >= 1;",
    "UPDATE ledger SET flag = true WHERE id = 42;",
    "UPDATE settings SET value = 'on' WHERE name = 'beta';",
    "DELETE FROM ledger WHERE id IN (1, 2, 3);",
    "UPDATE ledger SET flag = true WHERE id = ANY($1);",
    "UPDATE ledger SET flag = true WHERE id IN (SELECT id FROM ledger WHERE flag IS NULL LIMIT 5000);",
    "UPDATE ledger SET flag = true WHERE id = 1 OR id = 2;",
    # in a DO block, a name compared with = is a PL/pgSQL variable (one row per loop turn)
    "DO $$ DECLARE r record; BEGIN FOR r IN SELECT id FROM ledger LOOP "
    "UPDATE ledger SET flag = true WHERE id = r.id; END LOOP; END $$;",
    # a table created in the same file
    "CREATE TABLE fresh (id bigint PRIMARY KEY, v int);\nUPDATE fresh SET v = 1 WHERE v IS NULL;",
    # in a function body it runs when called, not during the migration
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ UPDATE ledger SET flag = true WHERE flag IS NULL $$;",
])
def test_bounded_or_new_or_deferred_statements_are_not(sql):
    assert fired(sql) == []


def test_no_where_is_reported_once_by_the_older_rules():
    assert fired("UPDATE ledger SET flag = true;") == [(1, "update-without-where")]
    assert fired("DELETE FROM ledger;") == [(1, "delete-without-where")]


@pytest.mark.parametrize("path", ["db/data/20240101_fix_names.sql", "migrations/0042_backfill_names.sql",
                                  "seeds/users.sql", "fixes/2024_data_fix.sql"])
def test_files_named_as_data_fixes_are_skipped(path):
    assert fired("UPDATE ledger SET flag = true WHERE flag IS NULL;", path) == []


def test_stronger_wording_with_a_lock_held_in_the_transaction():
    sql = ("BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE ledger ADD COLUMN note text;\n"
           "UPDATE ledger SET note = '' WHERE note IS NULL;\nCOMMIT;\n")
    (d,) = [d for d in lint_text(sql).diagnostics if d.rule == "backfill-in-migration"]
    assert "under the ACCESS EXCLUSIVE lock from line 3" in d.message
    assert "every read and write of the locked table waits" in d.explanation
    assert "WHERE id >= 1 AND id < 10001" in d.help and "outside a transaction" in d.help
    # ROW EXCLUSIVE (an earlier UPDATE) is not stronger: the plain wording
    sql = "BEGIN;\nUPDATE ledger SET note = '' WHERE id = 1;\nUPDATE ledger SET note = '' WHERE note IS NULL;\nCOMMIT;\n"
    (d,) = [d for d in lint_text(sql).diagnostics if d.rule == "backfill-in-migration"]
    assert "taken at line" not in d.message
    # the transaction mode is unknown: no lock is said to be shared
    sql = "ALTER TABLE ledger ADD COLUMN note text;\nUPDATE ledger SET note = '' WHERE note IS NULL;\n"
    (d,) = [d for d in lint_text(sql).diagnostics if d.rule == "backfill-in-migration"]
    assert "taken at line" not in d.message

"""Issue 18, point 1: version-prefixed .up.sql / .down.sql trees are a history, and a
transaction mode pglint does not know is never stated as fact."""

from __future__ import annotations

import json
import subprocess
import sys

from pglint.config.settings import Settings
from pglint.engine.runner import lint_text, run_paths
from pglint.reporters import summary_counts, summary_line
from pglint.source.files import discover
from pglint.source.layouts import ROLLBACK, detect

TREE = {
    "V0001.Initial.up.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric, legacy_ref text);\n"
                            "CREATE INDEX invoices_total ON invoices (total);\n",
    "V0001.Initial.down.sql": "DROP TABLE invoices;\n",
    "V0010.Notes.up.sql": "ALTER TABLE invoices ADD COLUMN memo text;\nALTER TABLE invoices DROP COLUMN legacy_ref;\n",
    "V0010.Notes.down.sql": "ALTER TABLE invoices DROP COLUMN memo;\n",
    "V0002.Paid.up.sql": "ALTER TABLE invoices ADD COLUMN paid boolean;\n",
}


def write(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_versioned_up_down_pairs_are_a_history_in_version_order(tmp_path):
    write(tmp_path, TREE)
    (h,), standalone = detect(discover([str(tmp_path)], ("*.sql",), None))
    assert standalone == [] and h.layout == "up-down"
    names = [e.input.path.rsplit("/", 1)[-1] for e in h.entries]
    assert names == ["V0001.Initial.up.sql", "V0001.Initial.down.sql", "V0002.Paid.up.sql", "V0010.Notes.up.sql",
                     "V0010.Notes.down.sql"]
    kinds = [e.kind for e in h.entries]
    assert kinds[1] == kinds[4] == ROLLBACK and h.entries[1].pair == 0 and h.entries[4].pair == 3
    assert all(e.tx.unknown for e in h.entries)


def test_dotted_and_timestamp_versions(tmp_path):
    write(tmp_path, {"1.10.0-more.up.sql": "SELECT 1;\n", "1.2.0-base.up.sql": "SELECT 1;\n",
                     "1.2.0-base.down.sql": "SELECT 1;\n"})
    (h,), _ = detect(discover([str(tmp_path)], ("*.sql",), None))
    assert [e.input.path.rsplit("/", 1)[-1] for e in h.entries] == [
        "1.2.0-base.up.sql", "1.2.0-base.down.sql", "1.10.0-more.up.sql"]


def test_history_is_replayed_and_no_guessed_transaction_mode_is_stated(tmp_path):
    write(tmp_path, TREE)
    res = run_paths([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    by_file = {f.path.rsplit("/", 1)[-1]: f for f in res.files}
    # history replayed: the table of V0001 is new there (no index-not-concurrent), existing later
    assert "index-not-concurrent" not in {d.rule for d in by_file["V0001.Initial.up.sql"].diagnostics}
    assert "drop-column" in {d.rule for d in by_file["V0010.Notes.up.sql"].diagnostics}
    msgs = [d.message + " " + d.explanation for d in res.diagnostics if d.rule == "non-idempotent-ddl"]
    assert msgs and not any("runs outside a transaction" in m for m in msgs)
    assert all("pglint does not know how it runs this file" in m and " may fail " in m for m in msgs)
    counts = summary_counts(res)
    assert counts["transaction_mode_unknown"] == 5
    assert "Transaction mode unknown for 5 files" in summary_line(res)
    # the down files are rollbacks: their findings are counted as such
    assert all(f.rollback for n, f in by_file.items() if n.endswith(".down.sql"))


def test_assume_in_transaction_removes_the_doubt(tmp_path):
    write(tmp_path, TREE)
    res = run_paths([str(tmp_path)], Settings(root=str(tmp_path), assume_in_transaction=True), jobs=1)
    assert summary_counts(res)["transaction_mode_unknown"] == 0
    assert "non-idempotent-ddl" not in {d.rule for d in res.diagnostics}
    assert "Transaction mode unknown" not in summary_line(res)


def test_a_file_with_its_own_transaction_is_known():
    sql = "BEGIN;\nCREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY);\nCOMMIT;\n"
    assert not lint_text(sql).tx_unknown
    assert lint_text("CREATE TABLE a (id bigint PRIMARY KEY);\n").tx_unknown


def test_transaction_nesting_is_conditional_when_unknown():
    (d,) = lint_text("SAVEPOINT s;\nCREATE TABLE q (id bigint PRIMARY KEY);\n",
                     settings=Settings(select=["transaction-nesting"])).diagnostics
    assert d.message.startswith("SAVEPOINT outside a BEGIN ... COMMIT of this file fails unless the tool")
    (d,) = lint_text("SAVEPOINT s;\n", settings=Settings(select=["transaction-nesting"],
                                                          assume_in_transaction=False)).diagnostics
    assert d.message.startswith("SAVEPOINT outside a transaction block fails")


def test_concurrently_and_exclusive_lock_rules_stay_quiet_when_unknown():
    sql = ("SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN c int;\nUPDATE t SET c = 1 WHERE id = 1;\n"
           "CREATE INDEX CONCURRENTLY t_c ON t (c);\n")
    fired = {d.rule for d in lint_text(sql).diagnostics}
    assert not fired & {"statements-after-exclusive-lock", "concurrently-in-transaction"}
    fired = {d.rule for d in lint_text(sql, settings=Settings(assume_in_transaction=True)).diagnostics}
    assert {"statements-after-exclusive-lock", "concurrently-in-transaction"} <= fired


def test_json_summary_and_explain_order(tmp_path):
    write(tmp_path, TREE)
    p = subprocess.run([sys.executable, "-m", "pglint", "--no-cache", "--isolated", "--format", "json", str(tmp_path)],
                       capture_output=True, text=True)
    assert "Traceback" not in p.stderr
    s = json.loads(p.stdout)["summary"]
    assert s["transaction_mode_unknown"] == 5 and "rollback_diagnostics" in s
    p = subprocess.run([sys.executable, "-m", "pglint", "--isolated", "--explain-order", str(tmp_path)],
                       capture_output=True, text=True)
    assert "up-down, 5 files" in p.stdout and "rollback of #1, transaction mode unknown" in p.stdout
    assert "statement by statement" not in p.stdout

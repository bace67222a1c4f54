"""The static rules and trace over the same files: what each locking rule claims about a
statement (its lock level, its rewrite) is what PostgreSQL does, and the static lock model
agrees with PostgreSQL on every statement it predicts. The shop history
(fixtures/trace/shop) holds the statement forms of every locking rule; when trace and the
static side disagree, the static side (model/locks.py, model/facts.py) is what gets fixed.
Also: the forward migrations of the lemmy corpus run to the end."""

import json
import subprocess
import time

import pytest

from conftest import ROOT
from pglint.trace.tracer import IN_TRANSACTION

pytestmark = pytest.mark.postgres

SHOP = ROOT / "fixtures" / "trace" / "shop"

AE, SRE, SHARE = "AccessExclusiveLock", "ShareRowExclusiveLock", "ShareLock"
STRENGTH = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", SHARE, SRE,
            "ExclusiveLock", AE]


def strongest(ts, relation):
    modes = [lt.mode for lt in ts.locks if lt.relation == relation]
    return max(modes, key=STRENGTH.index) if modes else None


def rewrote(ts, relation):
    """``relation`` got new storage; a partitioned table has none: its partitions did."""
    if relation in [r.qualified for r in ts.rewrites]:
        return True
    partitioned = any(lt.relation == relation and lt.kind == "p" for lt in ts.locks)
    return partitioned and any(r.kind == "r" for r in ts.rewrites)


def held_in_transaction(ts, relation, statements):
    """ACCESS EXCLUSIVE on ``relation`` taken earlier in the transaction ``ts`` runs in."""
    if ts.run != IN_TRANSACTION:
        return False
    earlier = [s for s in statements if s.path == ts.path and s.start < ts.start]
    for s in reversed(earlier):
        if s.run != IN_TRANSACTION:
            return False
        if strongest(s, relation) == AE:
            return True
    return False


# What each locking rule says about the statement it flags, as a check on its trace.
CLAIMS = {
    "index-not-concurrent": lambda ts, rel, all_: strongest(ts, rel) == SHARE,
    "drop-index-not-concurrent": lambda ts, rel, all_: strongest(ts, rel) == AE,
    "reindex-not-concurrent": lambda ts, rel, all_: SHARE in {lt.mode for lt in ts.locks if lt.kind in "rp"},
    "constraint-without-not-valid": lambda ts, rel, all_: strongest(ts, rel) in (SRE, AE),
    "unique-without-index": lambda ts, rel, all_: strongest(ts, rel) == AE,
    "set-not-null-scan": lambda ts, rel, all_: strongest(ts, rel) == AE,
    "add-column-rewrites": lambda ts, rel, all_: strongest(ts, rel) == AE and rewrote(ts, rel),
    "add-column-required": lambda ts, rel, all_: strongest(ts, rel) == AE,
    "column-type-rewrite": lambda ts, rel, all_: strongest(ts, rel) == AE and rewrote(ts, rel),
    "table-rewrite": lambda ts, rel, all_: strongest(ts, rel) == AE and rewrote(ts, rel),
    "attach-partition-scan": lambda ts, rel, all_: strongest(ts, rel) == AE,
    "detach-partition-blocking": lambda ts, rel, all_: strongest(ts, rel) == AE,
    "lock-timeout-missing": lambda ts, rel, all_: ts.lock_timeout == "0"
    and STRENGTH.index(strongest(ts, rel) or "AccessShareLock") >= STRENGTH.index(SHARE),
    "statements-after-exclusive-lock": lambda ts, rel, all_: held_in_transaction(ts, rel, all_),
    "validate-in-same-transaction": lambda ts, rel, all_: held_in_transaction(ts, rel, all_),
}


@pytest.fixture(scope="module")
def shop(pg_cluster):
    from pglint.config.settings import Settings
    from pglint.engine.runner import run_paths
    from pglint.trace.run import run_trace

    # both sides know the session time zone is UTC (trace sets it): timestamp -> timestamptz is free.
    # Statement by statement, although Flyway runs each file in a transaction: inside one, a
    # lock an earlier statement took is already held, and the trace cannot tell which of the
    # later statements would also have taken it; the claims compared here are per statement.
    settings = Settings(timezone_utc=True, assume_in_transaction=False)
    static = run_paths([str(SHOP)], settings)
    traced = run_trace([str(SHOP)], settings, dsn=pg_cluster.dsn)
    return static, traced


def test_the_history_runs_and_covers_every_locking_rule(shop):
    from pglint.engine.registry import all_rules

    static, traced = shop
    assert not [d for d in traced.diagnostics if d.rule == "traced-statement-error"]
    fired = {d.rule for d in static.diagnostics}
    locking = {r.name for r in all_rules().values() if r.category == "locking"}
    # concurrently-in-transaction fails in PostgreSQL (tests/test_trace.py traces that);
    # enum-value-in-transaction only applies before PostgreSQL 12; concurrent-index-if-not-exists
    # is about the retry of a failed build, which makes no lock claim (tests/test_issue18_rules.py
    # checks it against a server)
    assert locking - fired == {"concurrently-in-transaction", "enum-value-in-transaction",
                               "concurrent-index-if-not-exists"}
    assert set(CLAIMS) == fired & locking


def test_each_locking_rule_claim_matches_the_trace(shop):
    static, traced = shop
    by_line = {(s.path, s.line): s for s in traced.statements}
    checked = 0
    for d in static.diagnostics:
        if d.rule not in CLAIMS:
            continue
        ts = by_line.get((d.path, d.line))
        if ts is None:  # a diagnostic inside a statement: the statement that contains it
            ts = [s for s in traced.statements if s.path == d.path and s.line <= d.line][-1]
        rel = d.relation if d.relation is None or "." in d.relation else f"public.{d.relation}"
        if rel is None:  # the rule names no relation: the table the statement locks
            rel = next(lt.relation for lt in ts.locks if lt.kind in "rp")
        assert CLAIMS[d.rule](ts, rel, traced.statements), (
            f"{d.rule} at {d.path}:{d.line} ({d.message}) but trace shows locks "
            f"{[(lt.relation, lt.mode) for lt in ts.locks]}, rewrites {[r.qualified for r in ts.rewrites]}, "
            f"lock_timeout {ts.lock_timeout}")
        checked += 1
    assert checked >= 40


def test_static_model_and_postgresql_agree_on_every_statement(shop):
    from pglint.model.locks import _HANDLERS

    _static, traced = shop
    compared = [s for s in traced.statements if s.comparison is not None and s.comparison.compared]
    disagree = [(s.path.rsplit("/", 1)[-1], s.line, s.sql, s.comparison.disagreements)
                for s in compared if s.comparison.disagreements]
    assert disagree == []
    assert not [d for d in traced.diagnostics if d.rule == "static-trace-disagreement"]
    # every statement the model predicts for was compared, except DO blocks
    skipped = [(s.line, s.sql, s.comparison.reason) for s in traced.statements
               if s.type in _HANDLERS and not s.comparison.compared]
    assert skipped == []
    assert len(compared) >= 130 and sum(s.comparison.checked for s in compared) >= 150


def test_rewrites_the_static_rules_call_free_are_free(shop):
    _static, traced = shop
    free = ["ALTER TABLE accounts ADD COLUMN active boolean NOT NULL DEFAULT true",
            "ALTER TABLE accounts ADD COLUMN joined_at timestamptz DEFAULT now()",
            "ALTER TABLE accounts ADD COLUMN tags text[] NOT NULL DEFAULT '{}'",
            "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200)",
            "ALTER TABLE orders ALTER COLUMN note TYPE text",
            "ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12, 2)",
            "ALTER TABLE accounts ALTER COLUMN created_at TYPE timestamptz",  # the session time zone is UTC
            "ALTER TABLE events_archive SET ACCESS METHOD heap"]
    costly = ["ALTER TABLE products ADD COLUMN stock positive_int",
              "ALTER TABLE accounts ALTER COLUMN score TYPE bigint",
              "ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12, 3)",
              "ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100)"]
    by_sql = {s.sql: s for s in traced.statements}
    for sql in free:
        assert by_sql[sql].rewrites == [] and by_sql[sql].comparison.agrees, sql
    for sql in costly:
        assert by_sql[sql].rewrites and by_sql[sql].comparison.agrees, sql


@pytest.mark.slow
@pytest.mark.corpus
def test_lemmy_forward_migrations_trace_to_the_end(corpus, pglint_exe, tmp_path):
    """Every up.sql of lemmy (diesel), in order, in the embedded cluster. lemmy now targets
    PostgreSQL 16+: from the migration that uses a subquery in FROM without an alias (an
    error before 16) the later migrations that need its tables fail too; each failure is a
    traced-statement-error diagnostic and the trace goes on to the last file."""
    lemmy = corpus / "lemmy" / "migrations"
    ups = sorted(p for p in lemmy.glob("*/up.sql"))
    out = tmp_path / "lemmy.json"
    t0 = time.perf_counter()
    p = subprocess.run([pglint_exe, "trace", "--format", "json", "-o", str(out), str(lemmy)],
                       capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - t0
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    paths = {s["path"] for s in doc["statements"]}
    assert str(ups[-1]) in paths and str(ups[0]) in paths  # to the end
    assert len(doc["statements"]) > 2000
    assert not [s for s in doc["statements"] if s["path"].endswith("down.sql")]
    diags = doc["diagnostics"]
    errors = [d for d in diags if d["rule"] == "traced-statement-error"]
    first = min(errors, key=lambda d: d["path"])
    assert "smoosh-tables-together" in first["path"] and "subquery in FROM must have an alias" in first["message"]
    assert not [d for d in diags if d["rule"] == "static-trace-disagreement"]
    print(f"lemmy: {len(ups)} migrations, {len(doc['statements'])} statements traced in {elapsed:.1f}s")

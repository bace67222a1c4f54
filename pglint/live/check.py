"""``pglint check --dsn``: the static run, seeded with the live catalog, then a live pass.

1. Read the catalog (one read-only transaction, no lock on user tables; details of the
   relations the files name in a second, short one) into a SchemaModel and size stats.
   The connection is closed before the static run, which may fork workers.
2. Static run (engine/runner.py) with that model as every file's starting schema; the
   server's version is the target version unless --pg-version was given.
3. Live pass: each file goes through the engine again with one internal, unregistered
   collector rule that sees every statement with the full context (transaction, schema
   model replayed so far, lock effects). It weighs the static findings by table size,
   reports large-table-lock, and EXPLAINs the queries. Its findings go through the same
   suppression comments and per-file ignores as every rule.
"""

from __future__ import annotations

import copy

from ..engine.checker import Dispatch, FileResult, lint_source
from ..engine.context import RunOptions
from ..engine.diagnostics import Diagnostic
from ..engine.registry import EXECUTED, Rule, all_rules
from ..model.locks import Lock
from ..model.nodes import walk
from ..source.files import discover, read_input
from . import catalog, plans, safety
from . import statements as pss_mod
from .config import LiveConfig, human_count
from .session import LiveError, Session, Skipped
from .weigh import BACKFILL, is_large, weigh, work_kind

__all__ = ["run_check", "LiveError"]

# Findings about waiting for a lock (and making others queue), not about how long the
# statement's own work takes: they get the size, never a severity from it.
QUEUE_RULES = frozenset({"lock-timeout-missing", "statements-after-exclusive-lock"})


def live_rule_names() -> set[str]:
    return {r.name for r in all_rules().values() if r.category == "live"}


def db_diagnostic(rule_name: str, message: str, help: str | None, path: str, settings=None,
                  severity: str | None = None, extra: dict | None = None, relation: str | None = None,
                  explanation: str | None = None) -> Diagnostic:
    """A finding about the database itself (no file position)."""
    rule = all_rules()[rule_name]
    sev = (settings.severity.get(rule.name) if settings is not None else None) or severity or rule.severity
    d = Diagnostic(rule.name, rule.code, sev, message, help, path, 0, 0, 1, 1, 1, 1, relation=relation,
                   explanation=explanation)
    if relation:
        d.extra["relation"] = relation
    if extra:
        d.extra.update(extra)
    return d


def with_reason(head: str, reason: str, help: str) -> tuple[str, str]:
    """(message, help): the server's reason ends the first line when it fits there, else
    it opens the help (issue 20: a first line is one sentence that fits)."""
    reason = " ".join(str(reason).split())
    msg = f"{head}: {reason}"
    if plans.fitted(msg, head) == msg:
        return msg, help
    first = reason.split(": ", 1)[0]  # "x is not installed: how to install it" -> its first clause
    msg = plans.fitted(f"{head}: {first}", head)
    return msg, f"{reason[0].upper()}{reason[1:]}. {help}"


def skipped_diagnostic(exc: Skipped, path: str, settings, what: str | None = None) -> Diagnostic:
    msg, help = with_reason(f"Skipped {what or exc.what} ({exc.kind})", exc.reason, _skip_help(exc))
    return db_diagnostic(
        "live-skipped", msg,
        help, path, settings, extra={"sqlstate": exc.sqlstate, "kind": exc.kind})


def _skip_help(exc: Skipped) -> str:
    if exc.kind == "permission denied":
        return ("Grant the role pglint connects as the privilege (e.g. GRANT pg_read_all_stats, or SELECT on the "
                "table), or ignore this check; the other checks ran.")
    if exc.kind in ("statement timeout", "lock timeout"):
        return ("Raise statement-timeout / lock-timeout in [tool.pglint.live] if the database is just slow or busy; "
                "the other checks ran.")
    return "The other checks ran."


def run_check(paths, settings, cfg: LiveConfig, dsn: str, *, analyze: bool, explicit_version: bool,
              stdin_name=None, stdin_bytes=None, jobs=None, statement_text: bool = False):
    import time

    from ..engine.runner import _is_rollback_name, make_options, plan_units, run

    started = time.perf_counter()

    inputs = discover(paths, tuple(settings.include), settings.is_excluded if settings.exclude else None, stdin_name)
    texts = []
    for item in inputs:
        src, _ = read_input(item, stdin_bytes)
        if src is not None:
            texts.append(src.text)
    with Session.connect(dsn, cfg) as session:
        display = session.display
        snap = catalog.load(session, texts)
    if not explicit_version and snap.server_version_num:
        settings = settings.with_overrides(pg_version=snap.pg_version)
    opts = make_options(settings)
    opts.statement_text = statement_text
    # the database already holds what earlier migrations did: each file is checked against
    # the live schema on its own (no history replay on top of it)
    units = plan_units(inputs, settings, None, history=False)
    inputs = [u.inputs[0] for u in units]
    result = run(units, opts, settings.jobs if jobs is None else jobs, stdin_bytes, None, snap.model)
    db_diags = [skipped_diagnostic(s, display, settings) for s in snap.skipped]

    enabled = opts.enabled & live_rule_names()
    with Session.connect(dsn, cfg) as session:
        lp = LivePass(session, snap, cfg, settings, enabled, analyze)
        lp.start()
        collector = Rule("PG799", "live-pass", summary="live pass (internal, never registered)",
                         category="live", scope=EXECUTED)
        collector.on("*")(lp.statement)
        dispatch = Dispatch([collector])
        opts2 = RunOptions(settings, enabled, opts.rules)
        for i, (item, fr) in enumerate(zip(inputs, result.files)):
            if fr.unreadable or item.path.endswith(".py"):
                continue  # Python modules: their SQL gets the static rules only (pglint/python)
            src, _ = read_input(item, stdin_bytes)
            if src is None:
                continue
            lp.begin_file(fr)
            res2 = lint_source(src, opts2, dispatch, item.path, i, schema=copy.deepcopy(snap.model),
                               rollback=_is_rollback_name(item.path))
            fr.diagnostics.extend(res2.diagnostics)
            fr.diagnostics.sort(key=Diagnostic.sort_key)
            fr.notes.extend(lp.notes)
        db_diags.extend(lp.db_diagnostics(display))
    db_diags = [d for d in db_diags if d.rule in enabled]
    if db_diags:
        result.files.append(FileResult(display, 0, db_diags))
    result.elapsed = time.perf_counter() - started
    return result


class LivePass:
    """The collector's state over a run: the session, the snapshot, per-file bookkeeping."""

    def __init__(self, session: Session, snap: catalog.Snapshot, cfg: LiveConfig, settings, enabled: set[str],
                 analyze: bool) -> None:
        self.session = session
        self.snap = snap
        self.cfg = cfg
        self.settings = settings
        self.enabled = enabled
        self.analyze = analyze
        self.rules = all_rules()
        self.pss: pss_mod.StatementStats | None = None
        self.work_mem: str | None = None
        self.advisor = None
        self.queries = 0
        self.skips: list[Skipped] = []

    # -- run and file boundaries ------------------------------------------------------------
    def start(self) -> None:
        try:
            with self.session.transaction("reading work_mem and extensions"):
                self.work_mem = self.session.scalar("SELECT current_setting('work_mem')")
                hypo = self.session.extension("hypopg") if self.cfg.hypopg else None
        except Skipped as exc:
            self.skips.append(exc)
            hypo = None
        if hypo is not None and "plan-missing-index" in self.enabled:
            from .advisor import Advisor

            self.advisor = Advisor(self.session, hypo[0], self.cfg)

    def begin_file(self, fr: FileResult) -> None:
        self.by_statement: dict[int, list[Diagnostic]] = {}
        for d in fr.diagnostics:
            if d.statement is not None:
                self.by_statement.setdefault(d.statement, []).append(d)
        self.touched: set = set()
        self.notes: list[str] = []

    def db_diagnostics(self, display: str) -> list[Diagnostic]:
        out = [skipped_diagnostic(s, display, self.settings) for s in self.skips]
        if (self.queries and self.pss is not None and not self.pss.available and "hot-query" in self.enabled
                and "live-skipped" in self.enabled):
            out.append(db_diagnostic(
                "live-skipped", *with_reason("hot-query and the query statistics were skipped", self.pss.problem,
                                             "pg_stat_statements records how often and how long each query runs; "
                                             "the other live checks ran without it."),
                display, self.settings, extra={"check": "pg_stat_statements"}))
        return out

    # -- every statement ---------------------------------------------------------------------
    def statement(self, ctx, s) -> None:
        effects = ctx.effects()
        self._weigh(ctx, s, effects)
        self._large_table_lock(ctx, s, effects)
        if s.origin == "top" and s.type in safety.ALLOWED:
            self._explain(ctx, s)
        if s.type not in ("SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "VariableSetStmt",
                          "TransactionStmt", "VariableShowStmt"):
            for e in effects:
                if e.relation[1] != "*":
                    self.touched.add(ctx.schema.key(*e.relation))
            if s.type in ("CreateStmt", "CreateTableAsStmt", "ViewStmt", "IndexStmt"):
                rv = s.node.get("relation") or s.node.get("view") or (s.node.get("into") or {}).get("rel")
                if rv:
                    self.touched.add(ctx.schema.rv_key(rv))

    def _stats_for(self, ctx, relation) -> catalog.RelStats | None:
        return self.snap.stats.get(relation) if relation else None

    def _weigh(self, ctx, s, effects) -> None:
        diags = self.by_statement.get(s.index)
        if not diags:
            return
        for d in diags:
            st = self._stats_for(ctx, d.relation)
            if st is None:
                continue
            kind = None
            for e in effects:
                if e.relation[1] == "*":
                    continue
                k = ctx.schema.key(*e.relation)
                if f"{k[0]}.{k[1]}" == d.relation:
                    kind = work_kind(e, s.type) or kind
            if d.rule in QUEUE_RULES:
                kind = None  # the danger is the wait for the lock, whatever the size
            elif d.rule == "backfill-in-migration":
                kind = BACKFILL  # writes every matching row: as long as a rewrite of the table
            weigh(d, st, kind, self.cfg, d.rule in self.settings.severity)

    def _report(self, ctx, rule_name: str, message: str, help: str | None, at=None, relation=None,
                extra: dict | None = None, explanation: str | None = None):
        if rule_name not in self.enabled:
            return None
        d = ctx.report(message, at=at, help=help, rule=self.rules[rule_name], relation=relation,
                       explanation=explanation)
        if d is not None and extra:
            d.extra.update(extra)
        return d

    def _large_table_lock(self, ctx, s, effects) -> None:
        if "large-table-lock" not in self.enabled:
            return
        reported = {d.relation for d in self.by_statement.get(s.index, ()) if d.relation}
        seen = set()
        for e in effects:
            if e.relation[1] == "*" or e.mode < Lock.SHARE:
                continue
            if e.kind == "matview" and e.mode < Lock.ACCESS_EXCLUSIVE:
                continue  # nobody writes a materialized view: only blocking its reads matters
            kind = work_kind(e, s.type)
            if kind is None:
                continue
            key = ctx.schema.key(*e.relation)
            name = f"{key[0]}.{key[1]}"
            if ctx.is_new(key) or name in reported or name in seen:
                continue
            st = self.snap.stats.get(name)
            if st is None or not is_large(st, self.cfg):
                continue
            seen.add(name)
            d = self._report(
                ctx, "large-table-lock",
                plans.fitted(f"{_STMT.get(s.type, s.type.removesuffix('Stmt'))} takes {e.mode.with_article} lock on "
                             f"{name} for as long as it {_work_text(kind)} the table",
                             f"{_STMT.get(s.type, s.type.removesuffix('Stmt'))} takes {e.mode.with_article} lock on "
                             f"{name}"),
                f"On a table this size, run it when the traffic allows, or use the online form where there is one "
                f"(CONCURRENTLY, NOT VALID + VALIDATE, pg_repack); {e.why}." if e.why else
                "On a table this size, run it when the traffic allows, or use the online form where there is one "
                "(CONCURRENTLY, NOT VALID + VALIDATE, pg_repack).",
                relation=key, explanation=(f"The lock blocks {e.mode.blocks} for as long as the statement works "
                                           "through the table, which on a table this size takes a while."))
            if d is not None:
                weigh(d, st, kind, self.cfg, True)
        if s.type in ("UpdateStmt", "DeleteStmt") and not s.node.get("whereClause"):
            rv = s.node.get("relation")
            key = ctx.schema.rv_key(rv) if rv else None
            if key is None or ctx.is_new(key):
                return
            name = f"{key[0]}.{key[1]}"
            st = self.snap.stats.get(name)
            if st is None or not is_large(st, self.cfg) or name in reported:
                return
            verb = "UPDATE" if s.type == "UpdateStmt" else "DELETE"
            d = self._report(
                ctx, "large-table-lock",
                f"{verb} without WHERE locks every one of the ~{human_count(st.rows)} rows of {name}",
                "Change the rows in batches of a few thousand, each in its own transaction (WHERE id BETWEEN ... "
                "AND ...), so that locks are short and VACUUM can keep up.",
                at=ctx.relation_span(rv), relation=key,
                explanation="Each row stays locked until the transaction ends: every concurrent write to the table waits.")
            if d is not None:
                weigh(d, st, "rewrite", self.cfg, True)

    # -- queries -----------------------------------------------------------------------------
    def _explain(self, ctx, s) -> None:
        line = ctx.line_of(s.start)
        if any(a < s.end and b > s.start for a, b in ctx.parsed.placeholders):
            self.notes.append(f"statement at line {line} not EXPLAINed: it holds template placeholders")
            return
        refs = [ctx.schema.rv_key(f) for t, f in walk(s.node, s.type) if t == "RangeVar"]
        changed = [k for k in refs if ctx.is_new(k) or k in self.touched]
        if changed:
            k = changed[0]
            self.notes.append(f"statement at line {line} not EXPLAINed: it uses {k[0]}.{k[1]}, which this "
                              "file creates or changes before it")
            return
        if ctx.schema.search_path != self.snap.model.search_path:
            self.notes.append(f"statement at line {line} not EXPLAINed: the file changes search_path")
            return
        try:
            q = safety.vet(ctx.sql[s.start:s.end])
        except safety.Refused as exc:
            self.notes.append(f"statement at line {line} not EXPLAINed: {exc}")
            return
        # functions of the database's own that PostgreSQL may run while planning (IMMUTABLE and
        # STABLE ones) or executing (all): what they do outside the read-only transaction
        # (dblink, advisory locks, ...) would not be rolled back (usercode.py)
        uc = self.snap.user_code
        if uc is None:
            self.notes.append(f"statement at line {line} not EXPLAINed: the catalog could not be read, so pglint "
                              "cannot tell which functions planning it would run")
            return
        written = [ctx.schema.rv_key(s.node["relation"])] if s.type != "SelectStmt" and s.node.get("relation") else []
        user = uc.reached(q.functions, q.operators, refs, written, q.casts)
        at_plan = sorted({n for n, v in user if v in ("i", "s")})
        if at_plan:
            self.notes.append(
                f"statement at line {line} not EXPLAINed: it may run {', '.join(n + '()' for n in at_plan)}, "
                "user-defined and declared IMMUTABLE or STABLE, which PostgreSQL may execute while planning; what "
                "such a function does outside the read-only transaction (dblink, advisory locks ...) is not undone")
            return
        # built-ins declared STABLE that change something (txid_current() assigns a transaction
        # ID): the planner may run them too, unless the query calls them only in its select list
        builtin = uc.reached_builtins(refs, written, q.casts)
        planned = safety.planned_calls_not_as_declared(q)
        planned += [n for n, _ in builtin if n in safety.NOT_AS_DECLARED and n not in planned]
        if planned:
            self.notes.append(
                f"statement at line {line} not EXPLAINed: it may run "
                + "; ".join(f"{n}(), which {safety.NOT_AS_DECLARED[n]}" for n in planned)
                + ", and PostgreSQL may execute it while planning (it is declared STABLE)")
            return
        self.queries += 1
        if self.pss is None and "hot-query" in self.enabled:
            self.pss = pss_mod.load(self.session)  # before any EXPLAIN ANALYZE changes the statistics
        match = self.pss.match(q.fingerprint) if self.pss is not None and self.pss.available else None
        analyze = self.analyze and q.read_only and not q.params
        if self.analyze and q.read_only and not q.params:
            # only functions the catalog marks IMMUTABLE or STABLE (built-ins included) may be
            # run: the ones the query calls by name, and those its views, policies and domains
            # call; no user-defined function at all
            reasons = {n: safety.why_not_run(n, self.snap.volatility)
                       for n in safety.volatile_calls(q, self.snap.volatility)}
            for n, v in builtin:
                reasons.setdefault(n, safety.NOT_AS_DECLARED.get(n) or "volatile")
            for n, _ in user:
                reasons.setdefault(n, "user-defined")
            if reasons:
                analyze = False
                vol = list(reasons)
                calls = ", ".join(f"{n}() ({why})" for n, why in reasons.items())
                msg = plans.fitted(f"Not run with EXPLAIN ANALYZE, only planned: it calls {calls}",
                                   "Not run with EXPLAIN ANALYZE, only planned: it calls "
                                   + ", ".join(f"{n}()" for n in reasons),
                                   f"Not run with EXPLAIN ANALYZE, only planned: it calls {len(reasons)} functions "
                                   "that may change data")
                self._report(ctx, "live-skipped", msg,
                             ("" if calls in msg else f"It calls {calls}. ")
                             + "--analyze executes only queries whose functions are all marked IMMUTABLE or STABLE "
                             "in the catalog. The plan rules that need ANALYZE (plan-sort-disk, plan-hash-batches, "
                             "plan-estimate-mismatch) did not see this query.",
                             explanation="Executing a query that calls such functions may change something.",
                             extra={"volatile_functions": vol, "planned_only": True})
        try:
            with self.session.transaction(f"EXPLAIN of the statement at line {line}"):
                doc = self.session.explain(q, analyze=analyze)
            findings = plans.evaluate(doc, self.snap.stats, self.cfg, analyze, self.work_mem)
        except Skipped as exc:
            self._report(ctx, "live-skipped", *with_reason(f"Could not EXPLAIN this statement ({exc.kind})", exc.reason,
                                                           _skip_help(exc)),
                         extra={"sqlstate": exc.sqlstate, "kind": exc.kind})
            return
        except safety.Refused as exc:
            self.notes.append(f"statement at line {line} not EXPLAINed: {exc}")
            return
        if self.advisor is not None:
            try:
                with self.session.transaction(f"hypothetical indexes for the statement at line {line}"):
                    f = self.advisor.advise(q, ctx.schema, doc)
                if f is not None:
                    findings.append(f)
            except Skipped as exc:
                self.notes.append(f"statement at line {line}: no index suggestion ({exc.kind}: {exc.reason})")
        for f in findings:
            extra = dict(f.extra)
            msg, help = f.message, f.help
            if match is not None:
                extra["pg_stat_statements"] = match.to_json()
                help = f"pg_stat_statements: {match.summary()}. {help}"
            extra["analyze"] = analyze
            at = _locate(ctx, s, f)
            rel = tuple(f.relation.split(".", 1)) if f.relation else None
            self._report(ctx, f.rule, msg, help, at=at, relation=rel, extra=extra, explanation=f.explanation)
        if match is not None and pss_mod.is_slow(match, self.cfg):
            self._report(
                ctx, "hot-query",
                f"This query ran {match.calls:,} times with a mean of {match.mean_ms:.1f} ms, "
                f"{match.share * 100:.1f}% of the database's query time (pg_stat_statements)",
                "Make it cheaper (see the plan findings, if any), cache its result, or run it less often; "
                f"thresholds: slow-query-calls = {self.cfg.slow_query_calls}, slow-query-mean = "
                f"{self.cfg.slow_query_mean * 1000:g}ms.",
                extra={"pg_stat_statements": match.to_json()})


_STMT = {"IndexStmt": "CREATE INDEX", "AlterTableStmt": "ALTER TABLE", "ClusterStmt": "CLUSTER",
         "VacuumStmt": "VACUUM", "ReindexStmt": "REINDEX", "CreateTableAsStmt": "CREATE TABLE AS",
         "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE"}


def _work_text(kind: str) -> str:
    return {"scan": "scans", "build": "reads and sorts", "rewrite": "rewrites"}[kind]


def _locate(ctx, s, f: plans.Finding):
    """The table reference a finding is about, else the statement."""
    if not f.relname:
        return None
    for t, node in walk(s.node, s.type):
        if t == "RangeVar" and node.get("relname") == f.relname:
            alias = (node.get("alias") or {}).get("aliasname")
            if f.alias is None or alias in (None, f.alias) or f.alias == f.relname:
                sp = ctx.node_span(node)
                if sp is not None:
                    return sp
    return None

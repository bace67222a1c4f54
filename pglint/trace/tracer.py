"""Run migration histories in a scratch database and record, statement by statement, what
PostgreSQL really did: relation locks, rewrites, column and constraint changes, the
lock_timeout in force, the duration.

How each statement of a traced file runs:

- inside a transaction the file (or its migration tool) opened: it runs there; its new
  locks are read from ``pg_locks`` for the connection's own backend right after it (locks
  are held until the transaction ends, so "new" means not held before the statement);
- otherwise in a transaction of its own (``BEGIN``, the statement, the catalog reads,
  ``COMMIT``), which is what running it alone in autocommit does, but lets its locks be read;
- statements PostgreSQL runs only outside a transaction block (``CREATE INDEX
  CONCURRENTLY`` and friends) run in autocommit while a second connection watches
  ``pg_locks`` for the migration's backend. To catch them mid-flight the watcher first
  takes a ROW EXCLUSIVE lock on the target table in a transaction of its own: every
  concurrent command waits for such lockers after taking its own locks, so the watcher
  reads them while the command waits, then lets it go (that wait is left out of the
  duration). When nothing could be seen the lock it is documented to take is reported,
  and the output says which.

Rewrites are ``pg_class.relfilenode`` changes (an index rebuilt under a new OID with new
storage counts too). A statement PostgreSQL rejects is reported with PostgreSQL's error;
the file's transaction is rolled back and the trace goes on with the next file.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from ..engine.checker import _section_transactions, file_transaction, parse_source, replay
from ..model.facts import UTC_ZONES
from ..model.locks import Lock, LockEffect
from ..model.nodes import has_option, relation_name
from ..model.schema import SchemaModel, object_names
from ..model.transactions import ONE_QUERY
from ..source.files import read_input
from ..source.layouts import FORWARD, REPEATABLE
from ..source.text import SourceText
from . import catalog, sandbox
from .catalog import Rel, TableShape
from .compare import Comparison, compare

# how a statement ran
IN_TRANSACTION = "in the file's transaction"
OWN_TRANSACTION = "in a transaction of its own"
NO_TRANSACTION = "outside a transaction"
TRANSACTION_CONTROL = "transaction control"

# where its locks come from
FROM_BACKEND = "pg_locks of its own backend"
OBSERVED = "observed from a second connection while it ran"
SAMPLED = "sampled from a second connection (may be incomplete)"
DOCUMENTED = "documented (not observed)"
NOT_OBSERVED = "not observed (it ran outside a transaction)"

# statements PostgreSQL refuses inside a transaction block (SQLSTATE 25001 catches the rest)
_OUTSIDE_TYPES = frozenset({"CreatedbStmt", "DropdbStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
                            "AlterSystemStmt"})
# statements that act on the whole server or outside the cluster: sandbox.py
_COPY_END = re.compile(r"^\\\.[ \t]*(?:\r\n|\r|\n|$)", re.M)

@dataclass(slots=True)
class LockTaken:
    relation: str  # schema.name
    mode: str  # as pg_locks spells it, e.g. AccessExclusiveLock
    kind: str  # pg_class.relkind
    oid: int

    @property
    def lock(self) -> Lock | None:
        try:
            return Lock.from_pg_name(self.mode)
        except ValueError:
            return None


@dataclass(slots=True)
class StatementError:
    message: str
    sqlstate: str | None = None
    detail: str | None = None
    hint: str | None = None
    offset: int | None = None  # file offset PostgreSQL points at


@dataclass
class TracedStatement:
    path: str
    line: int
    start: int
    end: int
    sql: str
    type: str  # parse-tree node type ("" when pglast could not parse it)
    locks: list[LockTaken] = field(default_factory=list)
    rewrites: list[Rel] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    lock_timeout: str | None = None
    duration_ms: float | None = None
    run: str = OWN_TRANSACTION
    lock_source: str = FROM_BACKEND
    error: StatementError | None = None
    existing: frozenset = frozenset()  # OIDs of the relations that existed before the file
    comparison: Comparison | None = None
    after_error: str | None = None  # what trace did after the error

    @property
    def lock_timeout_off(self) -> bool:
        return self.lock_timeout is not None and _timeout_is_zero(self.lock_timeout)


@dataclass
class FileTrace:
    path: str
    source: SourceText | None
    traced: bool
    statements: list[TracedStatement] = field(default_factory=list)
    errors: list[TracedStatement] = field(default_factory=list)  # failures in untraced files
    skipped: int = 0  # statements not run after an error
    notes: list[str] = field(default_factory=list)
    unreadable: str | None = None


def _timeout_is_zero(value: str) -> bool:
    v = value.strip().lower()
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*([a-z]*)", v)
    return bool(m) and float(m.group(1)) <= 0


@dataclass(slots=True)
class _Item:
    """A piece of a file to send: a parsed statement, or a chunk pglast could not parse."""

    start: int
    end: int
    stmt: object | None  # Statement
    section: int
    rollback: bool


class Tracer:
    """Runs the files of one history (or one standalone file) in one scratch database."""

    def __init__(self, conninfo: str, opts, *, seed_rows: int = 0, server_wide_ok: bool = True,
                 progress=None) -> None:
        import psycopg

        self.psycopg = psycopg
        self.opts = opts
        self.settings = opts.settings
        self.seed_rows = seed_rows
        self.server_wide_ok = server_wide_ok
        self.progress = progress
        self.conninfo = conninfo
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.conn.add_notice_handler(lambda diag: None)  # NOTICEs and WARNINGs of the migrations
        self.pid = self.conn.info.backend_pid
        self.watchers: list = []  # connections that watch (and briefly block) statements run outside a transaction
        self.rels: dict[int, Rel] | None = None  # relations now (None: read again)
        self.shapes: dict[int, TableShape] = {}
        self.held: dict[int, set[str]] | None = None  # locks held in the open transaction
        self.utc = self._session_is_utc()
        self.seed_notes: list[str] = []
        self.seeded: set[int] = set()  # tables --seed-rows filled (or tried to)

    def close(self) -> None:
        for c in (*self.watchers, self.conn):
            try:
                if c is not None:
                    c.close()
            except Exception:  # noqa: BLE001 - closing after a failure
                pass

    # -- session -------------------------------------------------------------------
    def _session_is_utc(self) -> bool:
        if self.settings.timezone_utc:
            return True
        tz = self.conn.execute("SELECT current_setting('TimeZone')").fetchone()[0]
        return str(tz).lower() in UTC_ZONES

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    def _reset_session(self, ft: FileTrace) -> None:
        """Each file starts as a new session would (the linter judges each file on its own)."""
        if self.in_transaction:
            self.conn.execute("COMMIT")
            ft.notes.append("the previous file ended inside a transaction block; trace committed it")
        self.conn.execute("RESET SESSION AUTHORIZATION")
        self.conn.execute("RESET ALL")
        if self.settings.lock_timeout:
            self.conn.execute("SELECT set_config('lock_timeout', %s, false)", (self.settings.lock_timeout,))
        if self.settings.statement_timeout:
            self.conn.execute("SELECT set_config('statement_timeout', %s, false)", (self.settings.statement_timeout,))
        if self.settings.timezone_utc:
            self.conn.execute("SET TimeZone = 'UTC'")
        self.held = None

    # -- a unit ------------------------------------------------------------------------
    def run_unit(self, unit) -> list[FileTrace]:
        from ..source.layouts import Entry

        entries = unit.history.entries if unit.history is not None else [Entry(unit.inputs[0])]
        opts = self.opts
        if self.utc and not opts.settings.timezone_utc:
            # the static model judges timestamp -> timestamptz as PostgreSQL will here
            from ..engine.runner import make_options

            opts = make_options(opts.settings.with_overrides(timezone_utc=True))
        self.static_opts = opts
        model = SchemaModel()
        out: list[FileTrace] = []
        for k, e in enumerate(entries):
            if e.kind not in (FORWARD, REPEATABLE):
                continue  # rollbacks and sqitch verify scripts are not replayed
            traced = unit.reported(e.input)
            src, problem = read_input(e.input)
            ft = FileTrace(e.input.path, src, traced)
            out.append(ft)
            if src is None:
                ft.unreadable = problem or "unreadable"
                continue
            pf = parse_source(src, opts)
            effects: dict[int, tuple[str, list[LockEffect]]] = {}

            def observe(ctx, s, effects=effects):
                if s.parent is None and not s.rollback:
                    effects[s.start] = (s.type, ctx.effects())

            replay(src, opts, model, k, pf, observe if traced else None)
            if traced and self.seed_rows > 0:
                from .seed import seed_tables

                self.seed_notes.extend(seed_tables(self.conn, self.seed_rows, self.seeded))
                self.rels = None
            self._run_file(ft, src, pf, effects if traced else None, e.tx)
            if self.progress is not None:
                self.progress(ft)
        return out

    def _items(self, pf) -> list[_Item]:
        items = [_Item(s.start, s.end, s, s.section, s.rollback) for s in pf.statements]
        bounds = [(m.offset, m.name) for m in pf.markers if m.name in ("up", "down")]
        for p in pf.errors:
            if p.embedded_in is not None:
                continue
            section = 0
            for n, (off, _name) in enumerate(bounds, 1):
                if off <= p.start:
                    section = n
            items.append(_Item(p.start, p.end, None, section, p.rollback))
        items.sort(key=lambda i: i.start)
        return items

    def _run_file(self, ft: FileTrace, src: SourceText, pf, effects, tool=None) -> None:
        traced = effects is not None
        self._reset_session(ft)
        # as the linter reads the file: how its migration tool runs it
        how = file_transaction(self.settings, pf, tool, _no_transaction_directive(pf))
        assume = how.mode if how is not None else None
        section_tx = _section_transactions(pf, assume)
        if traced:
            self.rels = catalog.relations(self.conn)
            self.shapes = catalog.shapes(self.conn, [o for o, r in self.rels.items() if r.kind in catalog.TABLE_KINDS])
            existing = frozenset(self.rels)
        else:
            existing = frozenset()
        items = [i for i in self._items(pf) if not i.rollback]
        embedded: dict[int, list] = {}  # top-level statement -> the statements in its bodies
        for st in pf.all_statements():
            top = st.parent
            while top is not None and top.parent is not None:
                top = top.parent
            if top is not None:
                embedded.setdefault(id(top), []).append(st)
        per_section: dict[int, int] = {}
        for st in pf.statements:
            per_section[st.section] = per_section.get(st.section, 0) + 1
        section = None
        tool_tx = one_query = False
        for n, item in enumerate(items):
            if item.section != section:
                if tool_tx and self.in_transaction:
                    self.conn.execute("COMMIT")
                section = item.section
                mode = section_tx.get(section, assume)
                # as the linter reads it (concurrently-in-transaction): a query string of one
                # statement runs outside a transaction block; BEGIN ... COMMIT wraps even one
                lone_outside = how is not None and how.lone_outside and not pf.markers
                tool_tx = mode is not None and (per_section.get(section, 0) > 1 or not lone_outside)
                one_query = tool_tx and mode == ONE_QUERY
                if tool_tx:
                    self.conn.execute("BEGIN")
                    self.held = {}
            elif one_query and not self.in_transaction:
                # a query string goes on after a COMMIT in a new implicit transaction block
                self.conn.execute("BEGIN")
                self.held = {}
            text = pf.sql[item.start:item.end]
            typ = item.stmt.type if item.stmt is not None else ""
            why = sandbox.refusal(item.stmt, embedded.get(id(item.stmt), ()), not self.server_wide_ok) \
                if item.stmt is not None else None
            if why is not None:  # it would write outside the scratch database or cluster (sandbox.py)
                local = self.server_wide_ok or sandbox.refusal(item.stmt, embedded.get(id(item.stmt), ()), False)
                ft.notes.append(f"line {src.position(item.start)[0]}: not run: {why}"
                                + ("" if local else " (it runs with the embedded cluster)"))
                continue
            if traced:
                ts = self._trace(ft, src, pf, item, text, typ, effects.get(item.start), existing)
                ft.statements.append(ts)
                failed = ts.error is not None
            else:
                ts = self._run_plain(ft, src, pf, item, text, typ)
                failed = ts is not None
                if failed:
                    ft.errors.append(ts)
            if failed:
                rolled = self._abort()
                rest = len(items) - n - 1
                ft.skipped = rest
                what = ("the file's transaction was rolled back" if rolled else
                        "no transaction block was open (autocommit), so the file's earlier statements stay applied")
                later = (f"the {rest} later statement{'s' if rest != 1 else ''} of this file did not run; "
                         if rest else "")
                ts.after_error = f"{what}; {later}the trace went on with the next file"
                return
        if tool_tx and self.in_transaction:
            self.conn.execute("COMMIT")
        elif self.in_transaction:
            self.conn.execute("COMMIT")
            ft.notes.append("the file ends inside a transaction block; trace committed it")
        self.held = None

    def _abort(self) -> bool:
        was = self.in_transaction
        if was:
            self.conn.execute("ROLLBACK")
        self.held = None
        self.rels = None
        return was

    # -- running statements ----------------------------------------------------------
    def _send(self, text: str, stmt, src: SourceText, end: int) -> None:
        """Send one statement (COPY ... FROM stdin gets the data that follows it in the file)."""
        if stmt is not None and stmt.type == "CopyStmt" and not stmt.node.get("filename"):
            with self.conn.cursor() as cur:
                with cur.copy(text) as cp:
                    if stmt.node.get("is_from"):
                        cp.write(_copy_data(src.text, end))
                    else:
                        for _ in cp:
                            pass
            return
        self.conn.execute(text)

    def _error(self, exc, item: _Item) -> StatementError:
        diag = getattr(exc, "diag", None)
        msg = (diag.message_primary if diag is not None else None) or str(exc).strip() or type(exc).__name__
        offset = None
        pos = diag.statement_position if diag is not None else None
        if pos:
            try:
                offset = min(item.start + int(pos) - 1, item.end)
            except ValueError:
                offset = None
        return StatementError(msg, getattr(exc, "sqlstate", None), diag.message_detail if diag else None,
                              diag.message_hint if diag else None, offset)

    def _run_plain(self, ft, src, pf, item, text, typ) -> TracedStatement | None:
        """A statement of a file that is only replayed: run it; on failure say why."""
        try:
            self._send(text, item.stmt, src, item.end)
        except self.psycopg.Error as exc:
            ts = self._new_statement(ft, src, item, text, typ)
            ts.error = self._error(exc, item)
            ts.run = IN_TRANSACTION if self.in_transaction else OWN_TRANSACTION
            return ts
        return None

    def _new_statement(self, ft, src, item, text, typ) -> TracedStatement:
        return TracedStatement(ft.path, src.position(item.start)[0], item.start, item.end, text, typ)

    def _trace(self, ft, src, pf, item, text, typ, static, existing) -> TracedStatement:
        ts = self._new_statement(ft, src, item, text, typ)
        ts.existing = existing
        stmt = item.stmt
        if typ == "TransactionStmt":
            ts.run = TRANSACTION_CONTROL
            ts.lock_timeout = self.conn.execute("SELECT current_setting('lock_timeout')").fetchone()[0]
            t0 = time.perf_counter()
            try:
                self._send(text, stmt, src, item.end)
            except self.psycopg.Error as exc:
                ts.error = self._error(exc, item)
                return ts
            ts.duration_ms = (time.perf_counter() - t0) * 1000
            self.held = catalog.own_locks(self.conn) if self.in_transaction else None
            if "ROLLBACK" in (stmt.node.get("kind") or ""):  # what the transaction did is undone
                self.rels = catalog.relations(self.conn)
                self.shapes = catalog.shapes(self.conn, [o for o, r in self.rels.items()
                                                         if r.kind in catalog.TABLE_KINDS])
            return ts
        if self.in_transaction:
            return self._trace_in_tx(ts, item, text, static, src, wrapped=False)
        if typ in _OUTSIDE_TYPES or _concurrent(stmt):
            return self._trace_outside(ts, item, text, static, src)
        self.conn.execute("BEGIN")
        self.held = {}
        ts = self._trace_in_tx(ts, item, text, static, src, wrapped=True)
        if ts.error is not None:
            self.conn.execute("ROLLBACK")  # the transaction trace opened for it
            self.held = None
            if ts.error.sqlstate in ("25001", "2D000"):
                # "cannot run inside a transaction block", or a procedure or DO block that
                # commits ("invalid transaction termination"): run it as autocommit would
                fresh = self._new_statement(ft, src, item, text, typ)
                fresh.existing = existing
                return self._trace_outside(fresh, item, text, static, src)
        else:
            try:
                self.conn.execute("COMMIT")
            except self.psycopg.Error as exc:  # deferred constraints are checked here
                ts.error = self._error(exc, item)
                self.rels = None
        self.held = None
        return ts

    def _before(self, ts: TracedStatement, static) -> tuple[dict[int, Rel], list]:
        ts.lock_timeout = self.conn.execute("SELECT current_setting('lock_timeout')").fetchone()[0]
        if self.rels is None:
            self.rels = catalog.relations(self.conn)
        resolved = []
        if static is not None:
            effects = [e for e in static[1] if e.relation[1] != "*" and e.kind != "tables"]
            oids = catalog.resolve(self.conn, [catalog.quote_name(*e.relation) for e in effects])
            resolved = list(zip(effects, oids))
            # a lock predicted on every partition: on each relation that descends from it
            parents = catalog.inheritance(self.conn) if any(e.children for e in effects) else {}
            for e, oid in list(resolved):
                if not e.children or oid is None:
                    continue
                for child, rel in self.rels.items():
                    p, seen = parents.get(child), set()
                    while p is not None and p != oid and p not in seen:
                        seen.add(p)
                        p = parents.get(p)
                    if p == oid and rel.kind in ("r", "p", "f"):
                        resolved.append((LockEffect((rel.schema, rel.name), e.mode, "table", e.rewrite, e.scan,
                                                    "a partition"), child))
        return self.rels, resolved

    def _trace_in_tx(self, ts, item, text, static, src, wrapped: bool) -> TracedStatement:
        ts.run = OWN_TRANSACTION if wrapped else IN_TRANSACTION
        before, resolved = self._before(ts, static)
        held = self.held if self.held is not None else catalog.own_locks(self.conn)
        t0 = time.perf_counter()
        try:
            self._send(text, item.stmt, src, item.end)
        except self.psycopg.Error as exc:
            ts.duration_ms = (time.perf_counter() - t0) * 1000
            ts.error = self._error(exc, item)
            self.rels = None
            return ts
        ts.duration_ms = (time.perf_counter() - t0) * 1000
        now = catalog.own_locks(self.conn)
        new = {oid: modes - held.get(oid, set()) for oid, modes in now.items()}
        new = {oid: m for oid, m in new.items() if m and oid in before}
        self.held = now
        after = catalog.relations(self.conn)
        self._record(ts, before, after, new, set(now))
        ts.comparison = compare(static, resolved, new, held, before, {r.oid for r in ts.rewrites}, FROM_BACKEND)
        return ts

    def _record(self, ts, before: dict[int, Rel], after: dict[int, Rel], new: dict[int, set[str]],
                touched: set[int]) -> None:
        ts.locks = sorted((LockTaken(before[o].qualified, m, before[o].kind, o) for o, modes in new.items()
                           for m in modes), key=_lock_order)
        ts.rewrites = rewritten(before, after)
        # columns and constraints of the tables this statement (or its transaction) locked
        tables = {o for o in touched if o in after and after[o].kind in catalog.TABLE_KINDS}
        if tables:
            fresh = catalog.shapes(self.conn, tables)
            for o in sorted(tables):
                if o in before:
                    ts.changes.extend(catalog.shape_changes(after[o], self.shapes.get(o), fresh.get(o)))
            self.shapes.update(fresh)
        created = [r for o, r in after.items() if o not in before]
        dropped = [r for o, r in before.items() if o not in after]
        rebuilt = {(r.schema, r.name) for r in ts.rewrites}
        created_names = {(r.schema, r.name) for r in created}
        for r in sorted(created, key=lambda r: (r.kind != "r", r.qualified)):
            if (r.schema, r.name) not in rebuilt:
                ts.changes.append(f"{catalog.KIND_WORDS.get(r.kind, r.kind)} {r.qualified} created")
        for r in sorted(dropped, key=lambda r: r.qualified):
            if (r.schema, r.name) not in created_names:
                ts.changes.append(f"{catalog.KIND_WORDS.get(r.kind, r.kind)} {r.qualified} dropped")
        for o in [o for o in self.shapes if o not in after]:
            del self.shapes[o]
        self.rels = after

    # -- outside a transaction: watch from other connections --------------------------
    def _watcher_conn(self, n: int):
        """The n-th watcher connection (autocommit; reused for the whole unit)."""
        while len(self.watchers) <= n:
            c = self.psycopg.connect(self.conninfo, autocommit=True)
            c.add_notice_handler(lambda diag: None)
            self.watchers.append(c)
        return self.watchers[n]

    def _table_of(self, name, before: dict[int, Rel]) -> Rel | None:
        if name is None:
            return None
        (oid,) = catalog.resolve(self.conn, [catalog.quote_name(*name)])
        rel = before.get(oid) if oid is not None else None
        if rel is not None and rel.kind in ("i", "I"):
            row = self.conn.execute("SELECT indrelid::int8 FROM pg_catalog.pg_index WHERE indexrelid = %s",
                                    (oid,)).fetchone()
            rel = before.get(row[0]) if row else None
        return rel if rel is not None and rel.kind in ("r", "p", "m") else None

    def _blockers(self, stmt, before: dict[int, Rel]) -> list[tuple[Rel, str]]:
        """Locks that make a non-transactional statement wait at each of its phases, each
        held in a transaction of its own: ROW EXCLUSIVE on the table it works on (concurrent
        commands wait for such lockers after taking their own locks; VACUUM FULL and CLUSTER
        wait for the lock itself; plain VACUUM waits for a SHARE UPDATE EXCLUSIVE one), and
        for DETACH ... CONCURRENTLY an ACCESS SHARE lock on the partition, which its second
        transaction locks ACCESS EXCLUSIVE."""
        table = self._table_of(_target_name(stmt), before)
        # plain VACUUM neither waits for lockers nor conflicts with ROW EXCLUSIVE: make it wait for its lock
        plain_vacuum = stmt is not None and stmt.type == "VacuumStmt" and not has_option(stmt.node.get("options"), "full")
        mode = "SHARE UPDATE EXCLUSIVE" if plain_vacuum else "ROW EXCLUSIVE"
        out = [(table, mode)] if table is not None and table.kind != "m" else []
        if stmt is not None and stmt.type == "AlterTableStmt":
            for c in stmt.node.get("cmds") or ():
                pc = ((c.get("AlterTableCmd") or {}).get("def") or {}).get("PartitionCmd") or {}
                part = self._table_of(relation_name(pc["name"]), before) if pc.get("name") else None
                if part is not None:
                    out.append((part, "ACCESS SHARE"))
        return out

    def _trace_outside(self, ts, item, text, static, src) -> TracedStatement:
        ts.run = NO_TRANSACTION
        before, resolved = self._before(ts, static)
        blockers = self._blockers(item.stmt, before)
        held: dict[int, object] = {}  # backend pid -> watcher connection holding a blocker
        for n, (rel, mode) in enumerate(blockers):
            w = self._watcher_conn(n + 1)
            try:
                w.execute("BEGIN")
                w.execute("SET LOCAL lock_timeout = '10s'")
                w.execute(f"LOCK TABLE ONLY {catalog.quote_name(rel.schema, rel.name)} IN {mode} MODE")
                held[w.info.backend_pid] = w
            except self.psycopg.Error:
                w.execute("ROLLBACK")
        poller = self._watcher_conn(0)
        result: dict = {}

        def work():
            t = time.perf_counter()
            try:
                self._send(text, item.stmt, src, item.end)
            except self.psycopg.Error as exc:
                result["error"] = exc
            except Exception as exc:  # noqa: BLE001 - re-raised in the main thread
                result["crash"] = exc
            result["elapsed"] = time.perf_counter() - t

        seen: dict[int, set[str]] = {}
        waits = 0
        blocked = 0.0
        th = threading.Thread(target=work, name="pglint-trace-statement", daemon=True)
        th.start()
        deadline = time.perf_counter() + 60
        previous = time.perf_counter()
        try:
            while th.is_alive() and time.perf_counter() < deadline:
                polled = time.perf_counter()
                rows = catalog.pid_locks(poller, self.pid)
                waiting = False
                for locktype, oid, mode, granted in rows:
                    if not granted:
                        waiting = True
                    if locktype == "relation" and oid in before:
                        seen.setdefault(oid, set()).add(mode)
                if waiting and held:
                    by = {r[0] for r in poller.execute("SELECT unnest(pg_catalog.pg_blocking_pids(%s))",
                                                       (self.pid,)).fetchall()}
                    ours = [p for p in by if p in held]
                    for p in ours:  # it waits for one of ours: its locks are all taken; let it go on
                        held.pop(p).execute("ROLLBACK")
                    if ours:
                        waits += 1
                        # it began waiting between the previous poll and this one
                        blocked += time.perf_counter() - (previous + polled) / 2
                previous = polled
                time.sleep(0.0005)
        finally:
            for w in held.values():
                w.execute("ROLLBACK")
        th.join()
        if "crash" in result:
            raise result["crash"]
        ts.duration_ms = max(0.0, result.get("elapsed", 0.0) - blocked) * 1000
        if "error" in result:
            ts.error = self._error(result["error"], item)
            self.rels = None
            return ts
        if waits:
            ts.lock_source = OBSERVED
        elif seen:
            ts.lock_source = SAMPLED
        else:
            for e, oid in resolved:
                if oid is not None and oid in before:
                    seen.setdefault(oid, set()).add(e.mode.pg_name)
            ts.lock_source = DOCUMENTED if seen else NOT_OBSERVED
        after = catalog.relations(self.conn)
        tables = [o for o, r in after.items() if r.kind in catalog.TABLE_KINDS]
        self._record(ts, before, after, seen, set(tables))
        ts.comparison = compare(static, resolved, seen, {}, before, {r.oid for r in ts.rewrites}, ts.lock_source)
        return ts


def rewritten(before: dict[int, Rel], after: dict[int, Rel]) -> list[Rel]:
    """Relations (as they were before) whose storage changed: same OID with a new
    relfilenode, or an index rebuilt under a new OID with new storage."""
    out = []
    by_name = {(r.schema, r.name, r.kind): r for r in after.values()}
    for oid, r in before.items():
        if not r.filenode:
            continue  # no storage (views, partitioned tables) or a mapped catalog
        a = after.get(oid)
        if a is not None:
            if a.filenode and a.filenode != r.filenode:
                out.append(r)
        elif r.kind == "i":
            b = by_name.get((r.schema, r.name, r.kind))
            if b is not None and b.oid not in before and b.filenode and b.filenode != r.filenode:
                out.append(r)
    out.sort(key=lambda r: (r.kind != "r" and r.kind != "m", r.qualified))
    return out


_MODE_RANK = {m.pg_name: int(m) for m in Lock}


def _lock_order(lt: LockTaken):
    return (lt.kind not in catalog.TABLE_KINDS, lt.relation, -_MODE_RANK.get(lt.mode, 0))


def _no_transaction_directive(pf) -> bool:
    return any("pglint: no-transaction" in pf.sql[s:e] for s, e in (pf.comments or ()))


def _copy_data(text: str, end: int) -> str:
    """The COPY ... FROM stdin data after the statement ending at ``end`` (to a ``\\.`` line)."""
    nl = text.find("\n", end)
    if nl < 0:
        return ""
    m = _COPY_END.search(text, nl + 1)
    return text[nl + 1:m.start() if m else len(text)]


def _concurrent(stmt) -> bool:
    """Whether the statement runs only outside a transaction block (CONCURRENTLY, VACUUM)."""
    if stmt is None:
        return False
    t = stmt.type
    if t not in ("IndexStmt", "DropStmt", "ReindexStmt", "VacuumStmt", "AlterTableStmt", "ClusterStmt"):
        return False
    node = stmt.node
    if t in ("IndexStmt", "DropStmt"):
        return bool(node.get("concurrent"))
    if t == "ReindexStmt":
        return has_option(node.get("params"), "concurrently")
    if t == "VacuumStmt":
        return bool(node.get("is_vacuumcmd"))
    if t == "ClusterStmt":
        return node.get("relation") is None
    for c in node.get("cmds") or ():
        cmd = c.get("AlterTableCmd") or {}
        if cmd.get("subtype") == "AT_DetachPartition" and ((cmd.get("def") or {}).get("PartitionCmd") or {}).get("concurrent"):
            return True
    return False


def _target_name(stmt) -> tuple[str | None, str] | None:
    if stmt is None:
        return None
    node = stmt.node
    t = stmt.type
    if t in ("IndexStmt", "ReindexStmt", "AlterTableStmt", "ClusterStmt") and node.get("relation"):
        return relation_name(node["relation"])
    if t == "DropStmt":
        for obj in node.get("objects") or ():
            names = object_names(obj)
            if names:
                return (names[-2] if len(names) > 1 else None, names[-1])
    if t == "VacuumStmt":
        for r in node.get("rels") or ():
            rv = (r.get("VacuumRelation") or {}).get("relation")
            if rv:
                return relation_name(rv)
    return None

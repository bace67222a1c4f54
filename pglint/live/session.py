"""The live connection, and the rules it keeps so that pglint never hurts the database.

- autocommit connection, ``application_name = 'pglint'``, ``default_transaction_read_only``;
- every unit of work is one transaction: ``BEGIN READ ONLY``, ``SET LOCAL
  statement_timeout`` / ``lock_timeout`` / ``idle_in_transaction_session_timeout``, the
  read-only state checked, then always ``ROLLBACK``;
- text that comes from the linted files is sent only after safety.py accepted it, only
  inside EXPLAIN (or PREPARE), and with the extended protocol (``binary=True`` makes
  psycopg use PQsendQueryParams), which refuses more than one statement per message;
- the connection is closed at the end (session-level state cannot outlive pglint).

Errors: a failure to connect, or a lost connection, is a ``LiveError`` (exit code 2);
a server error on one query (permission denied, timeout, missing object) is ``Skipped``,
which the caller turns into an info diagnostic before going on with the next check.
"""

from __future__ import annotations

import itertools
import json
from contextlib import contextmanager

from . import dsn as dsnmod
from .config import LiveConfig, ms
from .safety import Query, explain_execute_sql, explain_sql, prepare_sql


class LiveError(Exception):
    """Cannot use the database at all: reported with exit code 2 (no password in it)."""


class Skipped(Exception):
    """One query failed on the server; the check it belongs to is skipped."""

    def __init__(self, what: str, reason: str, sqlstate: str | None = None) -> None:
        self.what = what
        self.reason = reason
        self.sqlstate = sqlstate
        super().__init__(f"{what}: {reason}")

    @property
    def kind(self) -> str:
        s = self.sqlstate or ""
        if s == "42501":
            return "permission denied"
        if s == "57014":
            return "statement timeout"
        if s == "55P03":
            return "lock timeout"
        return "error"


# pg 16 added EXPLAIN (GENERIC_PLAN); before it, PREPARE + plan_cache_mode.
GENERIC_PLAN_MIN_VERSION = 160000


def generic_plan_method(server_version_num: int) -> str:
    """How a statement with $n parameters is EXPLAINed on this server version."""
    return "generic_plan" if server_version_num >= GENERIC_PLAN_MIN_VERSION else "prepare"


def _reason(exc: BaseException, hidden: list[str]) -> str:
    """The first meaningful lines of a psycopg error, without passwords."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    msg = "; ".join(lines[:3]) or type(exc).__name__
    return dsnmod.scrub(msg, hidden)


class Session:
    def __init__(self, conn, cfg: LiveConfig, display: str, hidden: list[str]) -> None:
        self.conn = conn
        self.cfg = cfg
        self.display = display
        self.hidden = hidden
        self.server_version_num = conn.info.server_version
        self._names = itertools.count(1)
        self._prepared: list[str] = []
        self.in_transaction = False

    # -- connecting ---------------------------------------------------------------
    @classmethod
    def connect(cls, dsn: str, cfg: LiveConfig, env=None) -> "Session":
        import os

        env = os.environ if env is None else env
        try:
            import psycopg
        except ImportError:
            raise LiveError("live mode needs psycopg 3: pip install 'pglint[live]'") from None
        try:
            given = dsnmod.parse(dsn)  # libpq's own reading: what it will connect with
        except dsnmod.BadDsn as exc:
            raise LiveError(f"cannot connect: {exc}") from None
        hidden = dsnmod.secrets(dsn, env)
        shown = dsnmod.display(dsn, env=env)
        hint = f" ({dsnmod.HINT})" if dsnmod.spilled(dsn) else ""
        kwargs = {"autocommit": True, "application_name": "pglint"}
        if "connect_timeout" not in given and not env.get("PGCONNECT_TIMEOUT"):
            kwargs["connect_timeout"] = max(1, int(round(cfg.connect_timeout)))
        try:
            conn = psycopg.connect(dsn, **kwargs)
        except psycopg.Error as exc:
            raise LiveError(f"cannot connect to {shown}: {_reason(exc, hidden)}{hint}") from None
        except (ValueError, TypeError, UnicodeError) as exc:
            raise LiveError(f"cannot connect to {shown}: invalid connection string "
                            f"({dsnmod.scrub(str(exc), hidden)}){hint}") from None
        try:
            info = conn.info
            shown = dsnmod.display(host=info.host, port=info.port, dbname=info.dbname, env={})
            conn.execute("SET default_transaction_read_only = on")
        except psycopg.Error as exc:
            conn.close()
            raise LiveError(f"cannot use {shown}: {_reason(exc, hidden)}") from None
        return cls(conn, cfg, shown, hidden)

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions -----------------------------------------------------------------
    @contextmanager
    def transaction(self, what: str = "reading the database"):
        """One read-only transaction, always rolled back. Server errors inside become
        ``Skipped(what, ...)``; a lost connection becomes ``LiveError``."""
        import psycopg

        cfg = self.cfg
        idle = max(ms(cfg.statement_timeout) * 2, 10_000)
        with self._errors(what):
            self.conn.execute(
                "BEGIN READ ONLY; "
                f"SET LOCAL statement_timeout = {ms(cfg.statement_timeout)}; "
                f"SET LOCAL lock_timeout = {ms(cfg.lock_timeout)}; "
                f"SET LOCAL idle_in_transaction_session_timeout = {idle}"
            )
        self.in_transaction = True
        done = False
        try:
            with self._errors(what):
                ro = self.conn.execute(self.MARKER + "SELECT current_setting('transaction_read_only')").fetchone()[0]
            if ro != "on":  # pragma: no cover - BEGIN READ ONLY always gives on
                raise LiveError("the live session is not read-only; refusing to go on")
            with self._errors(what):
                yield self
            done = True
        finally:
            self.in_transaction = False
            try:
                self.conn.execute("ROLLBACK")
            except psycopg.Error as exc:
                # when an error is on its way out already (say, the server ended the session
                # while it ran), it is the one to report, not this ROLLBACK's "connection is closed"
                if done and (self.conn.broken or self.conn.closed):
                    raise LiveError(f"lost the connection to {self.display}: {_reason(exc, self.hidden)}") from None
            self._forget_prepared()

    @contextmanager
    def _errors(self, what: str):
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            if getattr(exc, "sqlstate", None) is None or self.conn.broken or self.conn.closed:
                raise LiveError(f"lost the connection to {self.display} while {what}: "
                                f"{_reason(exc, self.hidden)}") from None
            raise Skipped(what, _reason(exc, self.hidden), exc.sqlstate) from None

    def _require_tx(self) -> None:
        if not self.in_transaction:  # pragma: no cover - programming error
            raise RuntimeError("live queries run only inside Session.transaction()")

    # -- pglint's own catalog queries ----------------------------------------------------
    # each starts with this comment, which pg_stat_statements keeps: pglint health leaves
    # them out of the slow and top queries (live/health.py is_application_query)
    MARKER = "/* pglint */ "

    def fetch(self, sql, params=None) -> list[tuple]:
        """Rows of one of pglint's own (fixed) queries; values only as parameters."""
        self._require_tx()
        return self.conn.execute(self.MARKER + sql, params).fetchall()

    def fetch_dicts(self, sql, params=None) -> list[dict]:
        self._require_tx()
        cur = self.conn.cursor()
        cur.execute(self.MARKER + sql, params)
        names = [c.name for c in cur.description or ()]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def scalar(self, sql, params=None):
        rows = self.fetch(sql, params)
        return rows[0][0] if rows else None

    # -- statements from the files ------------------------------------------------------
    def _send(self, sql: str):
        """Send vetted text with the extended protocol (one statement per message)."""
        self._require_tx()
        cur = self.conn.cursor()
        cur.execute(sql, binary=True)
        return cur

    def _plan(self, sql: str) -> dict:
        row = self._send(sql).fetchone()
        doc = row[0]
        if isinstance(doc, (str, bytes)):
            doc = json.loads(doc)
        return doc[0]

    def explain(self, q: Query, analyze: bool = False) -> dict:
        """The EXPLAIN (FORMAT JSON) document of a vetted query (inside transaction())."""
        if not q.params:
            return self._plan(explain_sql(q, analyze=analyze))
        if generic_plan_method(self.server_version_num) == "generic_plan":
            return self._plan(explain_sql(q, generic=True))
        return self._explain_prepared(q)

    def _explain_prepared(self, q: Query) -> dict:
        """Before PostgreSQL 16: PREPARE, force a generic plan, EXPLAIN EXECUTE with NULLs."""
        name = f"pglint_{next(self._names)}"
        self.conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        self._send(prepare_sql(q, name))
        self._prepared.append(name)
        n = self.scalar("SELECT cardinality(parameter_types) FROM pg_prepared_statements WHERE name = %s", [name])
        plan = self._plan(explain_execute_sql(name, int(n or 0)))
        self.conn.execute(f"DEALLOCATE {name}")
        self._prepared.remove(name)
        return plan

    def _forget_prepared(self) -> None:
        """Statements prepared in a transaction that failed before DEALLOCATE."""
        import psycopg

        while self._prepared:
            name = self._prepared.pop()
            try:
                self.conn.execute(f"DEALLOCATE {name}")
            except psycopg.Error:
                pass  # already gone

    # -- server facts ---------------------------------------------------------------------
    def extension(self, name: str) -> tuple[str, tuple[int, ...]] | None:
        """(schema, version) of an installed extension in this database, or None."""
        rows = self.fetch("SELECT n.nspname, e.extversion FROM pg_extension e "
                          "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = %s", [name])
        if not rows:
            return None
        return rows[0][0], version_tuple(rows[0][1])


def version_tuple(v: str) -> tuple[int, ...]:
    out = []
    for p in str(v).split("."):
        digits = "".join(ch for ch in p if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

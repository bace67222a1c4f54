"""Where trace runs the migrations: a throwaway cluster started for the run (the default),
or an existing server given with ``--dsn``. Either way every history gets a scratch
database of its own, created for it and dropped afterwards; an existing database is
never touched.

psycopg is imported here, on the trace code path only.
"""

from __future__ import annotations

import os
import secrets

from .cluster import Cluster, ClusterError

# settings of the embedded cluster: big migrations lock many relations in one transaction
EMBEDDED_SETTINGS = {"max_locks_per_transaction": "1024"}


def _psycopg():
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg comes with the live/test extras
        raise ClusterError("pglint trace needs psycopg 3: pip install 'pglint[live]' "
                           "(or pip install 'psycopg[binary]')") from None
    return psycopg


def mask_secrets(text: str, dsn: str | None) -> str:
    """``text`` without the password of ``dsn`` as libpq reads it (live/dsn.py: also the part
    of a password with an unencoded ``@`` that libpq read as the host) nor PGPASSWORD, on one
    line (libpq's messages run over several tab-indented lines)."""
    from ..live import dsn as dsnmod

    if not text:
        return text
    text = dsnmod.scrub(text, dsnmod.secrets(dsn))
    return "; ".join(ln.strip() for ln in text.splitlines() if ln.strip())


class Server:
    """A PostgreSQL server trace can create scratch databases on."""

    def __init__(self, dsn: str | None = None, pg_bin: str | None = None) -> None:
        self.dsn = dsn
        self.pg_bin = pg_bin
        self.cluster: Cluster | None = None
        self.admin_dsn: str | None = None
        self.databases: list[str] = []
        self.notes: list[str] = []
        self.version_num = 0
        self.description = ""

    # -- lifetime ---------------------------------------------------------------
    def start(self) -> "Server":
        try:
            return self._start()
        except BaseException:  # a failure or Ctrl-C half way: leave nothing behind
            self.stop()
            raise

    def _start(self) -> "Server":
        psycopg = _psycopg()
        hint = ""
        if self.dsn:
            from ..live import dsn as dsnmod

            try:
                dsnmod.parse(self.dsn)  # libpq's own reading; its errors quote the string
            except dsnmod.BadDsn as exc:
                raise ClusterError(f"cannot connect to PostgreSQL: {exc}") from None
            hint = f" ({dsnmod.HINT})" if dsnmod.spilled(self.dsn) else ""
            self.admin_dsn = self.dsn
            self.description = "the server given with --dsn"
        else:
            self.cluster = Cluster(self.pg_bin, settings=EMBEDDED_SETTINGS)
            self.cluster.start()
            self.admin_dsn = self.cluster.dsn
            self.description = f"a temporary cluster ({self.cluster.bindir})"
        try:
            with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=15) as conn:
                self.version_num = conn.info.server_version
        except psycopg.Error as exc:
            raise ClusterError(f"cannot connect to PostgreSQL: {mask_secrets(str(exc).strip(), self.dsn)}{hint}") from None
        return self

    def stop(self) -> None:
        try:
            for name in list(self.databases):
                self.drop_database(name)
        finally:
            if self.cluster is not None:
                self.cluster.stop()
                self.cluster = None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def version(self) -> tuple[int, int]:
        return (self.version_num // 10000, self.version_num % 10000)

    # -- scratch databases ----------------------------------------------------------
    def create_database(self) -> tuple[str, str]:
        """A new empty database (from template0): (name, conninfo to reach it)."""
        psycopg = _psycopg()
        from psycopg import sql
        from psycopg.conninfo import make_conninfo

        name = f"pglint_trace_{os.getpid()}_{secrets.token_hex(4)}"
        self.databases.append(name)  # before it exists: an interrupt right after CREATE still drops it
        try:
            with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=15) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            state = getattr(exc, "sqlstate", None)
            if state is not None:  # refused by the server: nothing was created
                self.databases.remove(name)
            hint = {"42501": "; trace needs a role with CREATEDB",
                    "25006": "; the server is read-only (a hot standby, or default_transaction_read_only): "
                             "trace needs a primary it may create a database on"}.get(state or "", "")
            raise ClusterError(f"cannot create a scratch database ({mask_secrets(str(exc).strip(), self.dsn)})"
                               f"{hint}") from None
        return name, make_conninfo(self.admin_dsn, dbname=name)

    def shared_state(self) -> set[str]:
        """The server's shared catalogs (roles, databases, ...), to see what a history changed
        outside its scratch database (sandbox.py)."""
        psycopg = _psycopg()
        from .sandbox import shared_state

        with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=15) as conn:
            return shared_state(conn)

    def drop_database(self, name: str) -> None:
        """Drop a scratch database this run created (and only those)."""
        if name not in self.databases:
            return
        psycopg = _psycopg()
        from psycopg import sql

        self.databases.remove(name)
        force = sql.SQL(" WITH (FORCE)") if self.version_num >= 130000 else sql.SQL("")
        try:
            with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=15) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)) + force)
        except psycopg.Error as exc:
            if self.cluster is None:  # an embedded cluster goes away with its databases
                self.notes.append(f"could not drop the scratch database {name} "
                                  f"({mask_secrets(str(exc).strip(), self.dsn)}); drop it by hand")

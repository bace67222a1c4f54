"""Result cache: re-running pglint on unchanged files reads results instead of linting.

A unit's key hashes everything its results depend on: pglint's code (version and source
files), pglast's grammar version, the settings that change results, the baseline, and the
content and path of every file of the unit (a history is cached as a whole: a change to
one migration changes what every later one is checked against). Entries live in one
SQLite database (``.pglint_cache/results.sqlite`` under the project root, or
``cache-dir``); a damaged or unreadable cache is ignored, never fatal.

A unit's results are stored as rows of plain values (tuples, strings, numbers: see
diagnostics.to_row), each repeated string once: a warm run reads the corpus's 29,000
findings in about 0.1 s, where pickled objects took 0.24 s (9 MB instead of 21).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import pickle
import sqlite3
import time
from pathlib import Path

from ..source.writing import WriteError, write_atomic
from .diagnostics import from_row, to_row
from .results import FileResult

SCHEMA_VERSION = 3  # 3: rows of plain values (2: pickled objects)
TABLE = f"results_v{SCHEMA_VERSION}"
# entries nobody has read for this long are dropped when the cache is written
MAX_IDLE_SECONDS = 30 * 24 * 3600
# an entry's last use is written again when it is older than this: a warm run a day after
# the last writes nothing (a write transaction and its syncs cost up to 0.3 s)
TOUCH_AFTER_SECONDS = 24 * 3600


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """pglint's version plus the sizes and mtimes of its source files (so a development
    checkout never reads results computed by older code), and the same of pglast's files
    (its grammar and its parser: found, not imported, so that a run answered from the
    cache never loads the parser)."""
    from importlib.util import find_spec

    from .. import __version__

    pkg = Path(__file__).resolve().parent.parent
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{SCHEMA_VERSION}|{__version__}".encode())
    _stat_tree(h, str(pkg), (".py", ".j2", ".md"))
    spec = find_spec("pglast")
    for where in (spec.submodule_search_locations or ()) if spec is not None else ():
        _stat_tree(h, where, (".py", ".so", ".pyd"), top_only=True)
        # the installed version, by name (where file times are normalised, e.g. Nix)
        parent = os.path.dirname(where)
        try:
            h.update(repr(sorted(n for n in os.listdir(parent) if n.lower().startswith("pglast-"))).encode())
        except OSError:
            pass
    return h.hexdigest()


def _stat_tree(h, top: str, suffixes: tuple, top_only: bool = False) -> None:
    for root, dirs, files in os.walk(top):
        dirs[:] = [] if top_only else sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith(suffixes):
                st = os.stat(os.path.join(root, f))
                h.update(f"{f}:{st.st_size}:{st.st_mtime_ns};".encode())


def settings_fingerprint(opts) -> str:
    s = opts.settings
    parts = [
        s.pg_version, s.assume_in_transaction, sorted(opts.enabled), sorted(s.severity.items()),
        sorted((k, sorted(v)) for k, v in s.per_file_ignores.items()), s.placeholders, s.lock_timeout,
        s.statement_timeout, s.squawk_compat, tuple(s.compat), s.timezone_utc, s.root, s.rollbacks,
        s.python, tuple(s.python_sinks),
    ]
    if s.baseline:
        try:
            parts.append(hashlib.blake2b(Path(s.baseline).read_bytes(), digest_size=16).hexdigest())
        except OSError:
            parts.append("no-baseline")
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def unit_key(prefix: str, unit) -> str | None:
    """None when a file cannot be read (such a unit is always linted)."""
    def enc(s: str) -> bytes:  # paths may hold undecodable bytes (surrogate escapes)
        return s.encode("utf-8", "surrogateescape")

    h = hashlib.blake2b(enc(prefix), digest_size=20)
    # which of the unit's files are reported (the others only give context)
    h.update(enc(repr(None if unit.report is None else [it.path for it in unit.inputs if it.path in unit.report])))
    if unit.history is not None:
        h.update(enc(f"{unit.history.layout}|{unit.history.root}"))
        # how the tool runs each file follows files beside it (.sql.conf, metadata.toml)
        h.update(enc(repr([e.tx.how if e.tx else None for e in unit.history.entries])))
    for it in unit.inputs:
        if it.real is None:
            return None
        try:
            with open(it.real, "rb") as f:
                data = f.read()
        except OSError:
            return None
        h.update(enc(f"\0{it.path}\0{len(data)}\0"))
        h.update(data)
    return h.hexdigest()


class Cache:
    """Entries carry the code fingerprint they were computed with: writing drops those of
    any other pglint code (they can never be read again) and those not read for
    MAX_IDLE_SECONDS, so the database holds about one run's worth per settings in use.
    Reading an entry moves its last use (at most once every TOUCH_AFTER_SECONDS)."""

    def __init__(self, directory: str, code: str = "") -> None:
        self.directory = directory
        self.code = code
        self.db: sqlite3.Connection | None = None
        self._read: list[str] = []
        try:
            os.makedirs(directory, exist_ok=True)
            gi = os.path.join(directory, ".gitignore")
            if not os.path.exists(gi):
                write_atomic(gi, b"*\n")
            self.db = self._open(os.path.join(directory, "results.sqlite"))
        except (OSError, WriteError, sqlite3.Error):
            self.db = None

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        for attempt in (1, 2):
            db = sqlite3.connect(path, timeout=5)
            try:
                for old in ("results", "results_v2"):  # earlier schemas: never read again
                    db.execute(f"DROP TABLE IF EXISTS {old}")
                db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, code TEXT, used REAL, "
                           "value BLOB)")
                return db
            except sqlite3.DatabaseError:
                db.close()
                if attempt == 2:
                    raise
                os.remove(path)  # not a database (damaged): start again
        raise AssertionError("unreachable")

    def get_many(self, keys: list[str]) -> dict[str, list[FileResult]]:
        out: dict[str, list[FileResult]] = {}
        if self.db is None or not keys:
            return out
        # the collector paused: what is read is a few hundred thousand tuples and objects,
        # none of them garbage, which it would otherwise traverse again and again (and once
        # read, they are moved to its oldest generation, as if they had survived collections)
        was = gc.isenabled()
        gc.disable()
        stale = time.time() - TOUCH_AFTER_SECONDS
        try:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT key, used, value FROM {TABLE} WHERE key IN (%s)" % ",".join("?" * len(chunk))
                for k, used, v in self.db.execute(q, chunk):
                    try:
                        out[k] = unpack(v)
                    except Exception:  # noqa: BLE001 - a damaged entry is a miss
                        continue
                    if not isinstance(used, (int, float)) or used < stale:
                        self._read.append(k)
        except sqlite3.Error:
            return {}
        finally:
            gc.freeze()
            gc.unfreeze()
            if was:
                gc.enable()
        return out

    def put_many(self, items: dict[str, list[FileResult]]) -> None:
        if self.db is None or (not items and not self._read):
            return
        now = time.time()
        try:
            with self.db:
                self.db.executemany(
                    f"INSERT OR REPLACE INTO {TABLE} (key, code, used, value) VALUES (?, ?, ?, ?)",
                    [(k, self.code, now, pack(v)) for k, v in items.items()],
                )
                self.db.executemany(f"UPDATE {TABLE} SET used = ? WHERE key = ?", [(now, k) for k in self._read])
                if items:
                    self.db.execute(f"DELETE FROM {TABLE} WHERE code != ? OR used < ?",
                                    (self.code, now - MAX_IDLE_SECONDS))
            self._read = []
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def pack(results: list[FileResult]) -> bytes:
    """A unit's results as one pickle of plain rows (repeated strings stored once)."""
    same: dict = {}
    return pickle.dumps(
        [(r.path, r.statements, tuple(to_row(d, same) for d in r.diagnostics), tuple(r.notes), r.unreadable,
          r.rollback, r.digest, r.tx_unknown) for r in results],
        protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes) -> list[FileResult]:
    return [FileResult(path, statements, [from_row(d) for d in diags], list(notes), unreadable, rollback, digest,
                       tx_unknown)
            for path, statements, diags, notes, unreadable, rollback, digest, tx_unknown in pickle.loads(data)]


def default_dir(settings) -> str:
    return settings.cache_dir or os.path.join(settings.root, ".pglint_cache")

"""Migration layouts: which files form one history, and in which order its tool runs them.

Recognised (each ordered as its tool orders it):

- flyway: ``V<version>__<desc>.sql`` by version (``1.2`` = ``1_2``), then the repeatable
  ``R__<desc>.sql`` by description; ``U<version>__`` undo files are rollbacks;
- golang-migrate / river / popx: ``<n>_<name>[.<dialect>].up.sql`` / ``.down.sql`` by number;
- other ``.up.sql`` / ``.down.sql`` pairs with a version prefix (``V0001.Initial.up.sql``,
  ``1.2.3-name.up.sql``, ``2024-01-31-120000_name.up.sql``): by version; the runner, and so
  whether it wraps a file in a transaction, is not known (tool_transactions.UNKNOWN);
- goose / dbmate: ``<n>_<name>.sql`` with ``-- +goose`` / ``-- migrate:`` sections, by version;
- sqitch: ``sqitch.plan`` order of ``deploy/<change>.sql``, with ``revert/`` (rollback) and
  ``verify/`` files;
- prisma: ``<timestamp>_<name>/migration.sql`` by directory name;
- diesel: ``<version>_<name>/up.sql`` (``down.sql`` is the rollback) by directory name;
- versioned directories: ``v1.2/*.sql``, ``delta/54/*.sql`` by directory version, then file;
- numbered: ``<n>[_-.]<name>.sql`` by number.

Each entry also says how its tool runs the file (in a transaction, as one query string, or
statement by statement): tool_transactions.py.

Rollback files (down, undo, revert) are linted but never replayed into the forward
history; each is paired with the migration it undoes. Everything else is a standalone file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from . import tool_transactions as tool_tx
from .files import Input, head_text, natural_key

FORWARD = "forward"
ROLLBACK = "rollback"
REPEATABLE = "repeatable"
VERIFY = "verify"

_FLYWAY = re.compile(r"^(?P<kind>[VUR])(?P<ver>[0-9][0-9._]*)?__(?P<desc>.*)\.sql$", re.I)
_UPDOWN = re.compile(r"^(?P<ver>\d+)_(?P<name>.+?)(?:\.(?P<dialect>[a-z0-9]+))?\.(?P<dir>up|down)\.sql$", re.I)
# a version prefix (digits, V + digits, dotted or dashed parts), a name, .up.sql / .down.sql
_VERSIONED_UPDOWN = re.compile(
    r"^(?P<ver>[Vv]?\d+(?:[._\-]\d+)*)(?:[._\-]+(?P<name>.+?))?(?:\.(?P<dialect>[a-z0-9]+))?\.(?P<dir>up|down)\.sql$",
    re.I)
_NUMBERED = re.compile(r"^(?P<ver>\d+)(?:[_\-.](?P<name>.*))?\.sql$")
_DIR_VERSION = re.compile(r"^(?P<ver>\d{4}-\d{2}-\d{2}-\d{6}(?:-\d+)?|\d+)_(?P<name>.+)$")
_VERSION_DIR = re.compile(r"^v?(\d+(?:[._]\d+)*)$", re.I)
_OTHER_DIALECT = {"mysql", "sqlite", "sqlite3", "cockroach", "mssql", "sqlserver", "oracle"}


@dataclass
class Entry:
    input: Input
    kind: str = FORWARD
    pair: int | None = None  # for a rollback: index of the forward entry it undoes
    version: str = ""
    tx: tool_tx.ToolTransaction | None = None  # how the tool runs the file (None: not known)


@dataclass
class History:
    root: str
    layout: str
    entries: list[Entry] = field(default_factory=list)
    notice: str | None = None  # why the order is not the tool's (python/migrations.py)

    def describe(self) -> str:
        return f"{self.root} ({self.layout}, {len(self.entries)} files)"


def _flyway_version(v: str) -> tuple:
    return tuple(int(p) for p in re.split(r"[._]", v.strip("._")) if p.isdigit())


def _version_tuple(v: str) -> tuple:
    return tuple(int(p) for p in re.findall(r"\d+", v))


def detect(inputs: list[Input]) -> tuple[list[History], list[Input]]:
    """Group files into histories by layout; return (histories, standalone files)."""
    by_dir: dict[str, list[Input]] = {}
    standalone: list[Input] = []
    for it in inputs:
        if it.real is None:
            standalone.append(it)
            continue
        by_dir.setdefault(os.path.dirname(it.path) or ".", []).append(it)

    histories: list[History] = []
    claimed: set[str] = set()

    # layouts keyed on the parent of a per-migration directory (prisma, diesel, sqitch, version dirs)
    parents: dict[str, list[Input]] = {}
    for d, items in by_dir.items():
        parents.setdefault(os.path.dirname(d) or ".", []).extend(items)
    for parent, items in parents.items():
        h = _per_directory(parent, items) or _sqitch(parent, items) or _version_dirs(parent, items)
        if h is not None and len(h.entries) > 0:
            histories.append(h)
            claimed.update(e.input.path for e in h.entries)

    for d, items in by_dir.items():
        rest = [i for i in items if i.path not in claimed]
        if not rest:
            continue
        h = _flyway(d, rest) or _updown(d, rest) or _versioned_updown(d, rest) or _numbered(d, rest)
        if h is not None:
            histories.append(h)
            claimed.update(e.input.path for e in h.entries)
    for d, items in by_dir.items():
        standalone.extend(i for i in items if i.path not in claimed)
    histories.sort(key=lambda h: natural_key(h.root))
    return histories, standalone


def _pair_rollbacks(h: History, key_of) -> History:
    """Put each rollback right after the forward entry with the same key."""
    forward_at: dict = {}
    ordered: list[Entry] = []
    rollbacks: dict = {}
    for e in h.entries:
        if e.kind == FORWARD:
            ordered.append(e)
        else:
            rollbacks.setdefault(key_of(e), []).append(e)
    out: list[Entry] = []
    for e in ordered:
        out.append(e)
        forward_at[key_of(e)] = len(out) - 1
        for r in rollbacks.pop(key_of(e), []):
            r.pair = len(out) - 1
            out.append(r)
    for rs in rollbacks.values():  # rollbacks without a forward migration in view
        out.extend(rs)
    h.entries = out
    return h


def _flyway(d: str, items: list[Input]) -> History | None:
    matched = [(i, _FLYWAY.match(os.path.basename(i.path))) for i in items]
    matched = [(i, m) for i, m in matched if m and (m.group("kind").upper() == "R" or m.group("ver"))]
    if not matched:
        return None
    versioned, repeatable = [], []
    for i, m in matched:
        k = m.group("kind").upper()
        if k == "R":
            repeatable.append(Entry(i, REPEATABLE, version=m.group("desc"), tx=tool_tx.flyway(i.real)))
        else:
            versioned.append(Entry(i, FORWARD if k == "V" else ROLLBACK, version=m.group("ver"),
                                   tx=tool_tx.flyway(i.real)))
    versioned.sort(key=lambda e: (_flyway_version(e.version), e.kind != FORWARD))
    repeatable.sort(key=lambda e: e.version)
    h = History(d, "flyway", versioned)
    _pair_rollbacks(h, lambda e: _flyway_version(e.version))
    h.entries.extend(repeatable)
    return h


def _updown(d: str, items: list[Input]) -> History | None:
    """golang-migrate (and river): ``0001_x.up.sql`` / ``.down.sql``, each file sent as one
    query string."""
    return _updown_history(d, items, _UPDOWN, "golang-migrate", lambda v: int(v),
                           lambda i: tool_tx.golang_migrate(i.path), keep_empty=True)


def _versioned_updown(d: str, items: list[Input]) -> History | None:
    """``.up.sql`` / ``.down.sql`` pairs whose version prefix golang-migrate would not read
    (``V0001.Initial.up.sql``, dotted or dashed versions): a history in version order, down
    files its rollbacks; how the runner wraps each file is not known."""
    return _updown_history(d, items, _VERSIONED_UPDOWN, "up-down", _version_tuple,
                           lambda i: tool_tx.UNKNOWN, keep_empty=False)


def _updown_history(d: str, items: list[Input], pattern, layout: str, version_key, tx_of,
                    keep_empty: bool) -> History | None:
    """The up/down files ``pattern`` matches (other SQL dialects left out), in version order
    with each down file right after its up; None when no file matches (or, unless
    ``keep_empty``, when only other dialects' files do)."""
    matched = [(i, pattern.match(os.path.basename(i.path))) for i in items]
    matched = [(i, m) for i, m in matched if m]
    if not matched:
        return None
    entries = []
    for i, m in matched:
        if (m.group("dialect") or "").lower() in _OTHER_DIALECT:
            continue
        kind = FORWARD if m.group("dir").lower() == "up" else ROLLBACK
        entries.append(Entry(i, kind, version=m.group("ver"), tx=tx_of(i)))
    if not entries and not keep_empty:
        return None
    entries.sort(key=lambda e: (version_key(e.version), e.kind != FORWARD, natural_key(e.input.path)))
    h = History(d, layout, entries)
    return _pair_rollbacks(h, lambda e: (version_key(e.version), _stem(e.input.path)))


def _stem(path: str) -> str:
    b = os.path.basename(path).lower()
    return re.sub(r"\.(up|down)\.sql$", "", b)


def _numbered(d: str, items: list[Input]) -> History | None:
    matched = [(i, _NUMBERED.match(os.path.basename(i.path))) for i in items]
    matched = [(i, m) for i, m in matched if m]
    if not matched:
        return None
    entries = [Entry(i, FORWARD, version=m.group("ver")) for i, m in matched]
    entries.sort(key=lambda e: (int(e.version), natural_key(e.input.path)))
    heads = [head_text(e.input.real) or "" for e in entries[:20]]
    if any("+goose" in t for t in heads):
        layout = "goose"
    elif any("migrate:up" in t for t in heads):
        layout = "dbmate"
    else:
        layout = "numbered"
    return History(d, layout, entries)


def _per_directory(parent: str, items: list[Input]) -> History | None:
    """prisma (<ts>_<name>/migration.sql) and diesel (<version>_<name>/up.sql, down.sql)."""
    entries = []
    kinds = set()
    for i in items:
        d = os.path.basename(os.path.dirname(i.path))
        m = _DIR_VERSION.match(d)
        if not m:
            continue
        base = os.path.basename(i.path)
        if base == "migration.sql":
            entries.append(Entry(i, FORWARD, version=m.group("ver"), tx=tool_tx.PRISMA))
            kinds.add("prisma")
        elif base in ("up.sql", "down.sql"):
            entries.append(Entry(i, FORWARD if base == "up.sql" else ROLLBACK, version=m.group("ver"),
                                 tx=tool_tx.diesel(i.real)))
            kinds.add("diesel")
    if not entries:
        return None
    entries.sort(key=lambda e: (e.version, os.path.dirname(e.input.path), e.kind != FORWARD))
    layout = "diesel" if "diesel" in kinds else "prisma"
    h = History(parent, layout, entries)
    return _pair_rollbacks(h, lambda e: os.path.dirname(e.input.path))


def _sqitch(parent: str, items: list[Input]) -> History | None:
    """sqitch: the plan file beside deploy/, revert/, verify/ gives the order."""
    root = None
    for i in items:
        d = os.path.dirname(i.path)
        if os.path.basename(d) in ("deploy", "revert", "verify"):
            cand = os.path.dirname(d) or "."
            if os.path.isfile(os.path.join(cand, "sqitch.plan")):
                root = cand
                break
    if root is None:
        return None
    order = _sqitch_plan(os.path.join(root, "sqitch.plan"))
    by_change: dict[str, dict[str, Input]] = {}
    for i in items:
        d = os.path.basename(os.path.dirname(i.path))
        if d in ("deploy", "revert", "verify"):
            change = os.path.basename(i.path)[:-4]
            by_change.setdefault(change, {})[d] = i
    entries = []
    rank = {c: n for n, c in enumerate(order)}
    for change in sorted(by_change, key=lambda c: (rank.get(c, len(rank)), c)):
        files = by_change[change]
        if "deploy" in files:
            entries.append(Entry(files["deploy"], FORWARD, version=change))
            fwd = len(entries) - 1
        else:
            fwd = None
        if "verify" in files:
            entries.append(Entry(files["verify"], VERIFY, pair=fwd, version=change))
        if "revert" in files:
            entries.append(Entry(files["revert"], ROLLBACK, pair=fwd, version=change))
    return History(root, "sqitch", entries)


def _sqitch_plan(path: str) -> list[str]:
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line[0] in "%#@":
                    continue
                name = line.split()[0]
                if name not in out:
                    out.append(name)
    except OSError:
        pass
    return out


def _version_dirs(parent: str, items: list[Input]) -> History | None:
    """Directories named by version (v1.2/, 54/) holding the migration files."""
    entries = []
    dirs = set()
    for i in items:
        d = os.path.basename(os.path.dirname(i.path))
        m = _VERSION_DIR.match(d)
        if m:
            entries.append(Entry(i, FORWARD, version=m.group(1)))
            dirs.add(d)
    if len(dirs) < 2:
        return None
    entries.sort(key=lambda e: (_version_tuple(e.version), natural_key(os.path.basename(e.input.path))))
    return History(parent, "versioned-directories", entries)

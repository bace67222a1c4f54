"""Seed a SchemaModel from the live catalog, with table sizes and row estimates.

Everything database-wide is read from catalog rows only (pg_class, pg_attribute, pg_index,
pg_constraint, pg_proc, pg_enum ...), which takes no lock on user tables: a linter must
not queue behind, or in front of, a running migration. The functions that deparse
expressions or measure files (pg_get_constraintdef, pg_get_expr, pg_total_relation_size)
do lock the table (AccessShareLock, measured), so they run only for the relations the
linted files name, in one short transaction under lock_timeout; when that fails the
estimates from pg_class (relpages, reltuples) are kept and an info diagnostic says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..model.schema import Column, Constraint, Function, Index, SchemaModel, Table
from ..model.types import ColumnType, column_type
from .session import Session, Skipped

Key = tuple[str, str]

_NS = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"

Q_RELATIONS = f"""
SELECT c.oid::int8, n.nspname, c.relname, c.relkind::text, c.relpersistence::text, c.reltuples::float8,
       c.relpages::int8, COALESCE(t.relpages, 0)::int8 AS toast_pages, c.relispartition,
       COALESCE((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                 WHERE x.indrelid = c.oid), 0)::int8 AS index_pages,
       s.n_live_tup::int8
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {_NS}
"""

Q_COLUMNS = f"""
SELECT a.attrelid::int8, a.attnum::int4, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       a.attidentity::text, a.attgenerated::text
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_NS}
ORDER BY a.attrelid, a.attnum
"""

Q_INDEXES = f"""
SELECT x.indexrelid::int8, x.indrelid::int8, n.nspname, i.relname, x.indisunique, x.indisprimary, x.indisvalid,
       x.indpred IS NOT NULL, x.indexprs IS NOT NULL, x.indkey::int2[], am.amname, i.relpages::int8,
       x.indnkeyatts::int4
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
JOIN pg_am am ON am.oid = i.relam
WHERE {_NS}
"""

Q_CONSTRAINTS = f"""
SELECT con.conrelid::int8, con.conname, con.contype::text, con.convalidated, con.conkey, con.confrelid::int8,
       con.confkey, con.conindid::int8
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x', 'n') AND {_NS}
"""

Q_PARTITIONS = """
SELECT i.inhrelid::int8, i.inhparent::int8 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE c.relispartition
"""

Q_PARTKEYS = "SELECT partrelid::int8, partattrs::int2[], partdefid::int8 FROM pg_partitioned_table"

Q_FUNCTIONS = """
SELECT p.proname, p.provolatile::text, p.prosecdef, n.nspname
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
"""

Q_ENUMS = f"""
SELECT n.nspname, t.typname, e.enumlabel
FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE {_NS}
ORDER BY e.enumtypid, e.enumsortorder
"""

Q_SCHEMAS = f"SELECT n.nspname FROM pg_namespace n WHERE {_NS}"

# these lock the tables they read (AccessShareLock): only for named relations
Q_CHECKS = """
SELECT con.conrelid::int8, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con WHERE con.contype = 'c' AND con.conrelid = ANY(%s::oid[])
"""
Q_DEFAULTS = """
SELECT d.adrelid::int8, a.attname, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE d.adrelid = ANY(%s::oid[]) AND NOT a.attisdropped
"""
Q_SIZES = """
SELECT c.oid::int8, pg_total_relation_size(c.oid)::int8, pg_table_size(c.oid)::int8
FROM pg_class c WHERE c.oid = ANY(%s::oid[]) AND c.relkind IN ('r', 'm', 'i')
"""


@dataclass
class RelStats:
    """Size and row estimate of a table, materialized view or index."""

    key: Key
    kind: str  # r p m i (v f: no storage)
    rows: float | None  # estimated live rows (None: never analyzed)
    heap_bytes: int  # main fork (+ TOAST for tables)
    total_bytes: int  # with indexes and TOAST
    exact: bool = False  # sizes from pg_total_relation_size (else from pg_class.relpages)
    table: Key | None = None  # for an index: its table

    @property
    def name(self) -> str:
        return f"{self.key[0]}.{self.key[1]}"


@dataclass
class Snapshot:
    model: SchemaModel
    stats: dict[str, RelStats] = field(default_factory=dict)  # "schema.name" -> stats
    volatility: dict[str, str] = field(default_factory=dict)  # function name -> most volatile
    server_version_num: int = 0
    block_size: int = 8192
    skipped: list[Skipped] = field(default_factory=list)  # parts that could not be read
    oids: dict[Key, int] = field(default_factory=dict)
    user_code: object = None  # usercode.UserCode; None when the catalog could not be read

    @property
    def pg_version(self) -> tuple[int, ...]:
        v = self.server_version_num
        return (v // 10000, v % 10000) if v >= 100000 else (v // 10000, (v // 100) % 100)

    def table_stats(self, name: str | None) -> RelStats | None:
        return self.stats.get(name) if name else None


_VOL_RANK = {"i": 0, "s": 1, "v": 2}
_TYPE_CACHE: dict[str, ColumnType | None] = {}


def parse_type(formatted: str) -> ColumnType | None:
    """A ColumnType from format_type() output (normalised like the static model's)."""
    if formatted in _TYPE_CACHE:
        return _TYPE_CACHE[formatted]
    from pglast.parser import ParseError, parse_sql_json

    t = None
    try:
        tree = json.loads(parse_sql_json(f"SELECT NULL::{formatted}"))
        val = tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]
        t = column_type(val["TypeCast"]["typeName"])
    except (ParseError, KeyError, IndexError, TypeError, ValueError):
        t = None
    _TYPE_CACHE[formatted] = t
    return t


def parse_check(definition: str) -> dict | None:
    """The expression of ``pg_get_constraintdef`` output for a CHECK constraint."""
    from pglast.parser import ParseError, parse_sql_json

    try:
        tree = json.loads(parse_sql_json(f"ALTER TABLE pglint_t ADD CONSTRAINT pglint_c {definition}"))
        cmd = tree["stmts"][0]["stmt"]["AlterTableStmt"]["cmds"][0]["AlterTableCmd"]
        return cmd["def"]["Constraint"].get("raw_expr")
    except (ParseError, KeyError, IndexError, TypeError, ValueError):
        return None


def parse_expr(text: str) -> dict | None:
    from pglast.parser import ParseError, parse_sql_json

    try:
        tree = json.loads(parse_sql_json(f"SELECT {text}"))
        return tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]
    except (ParseError, KeyError, IndexError, TypeError, ValueError):
        return None


_IDENT = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_\x80-\uffff][\w$\x80-\uffff]*)')


def named_relations(texts, names: set[str]) -> set[str]:
    """Relation names (as in pg_class.relname) that appear as identifiers in ``texts``."""
    found = set()
    for text in texts:
        for m in _IDENT.finditer(text):
            ident = m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2).lower()
            if ident in names:
                found.add(ident)
    return found


def load(session: Session, texts=(), all_details: bool = False) -> Snapshot:
    """The catalog as a Snapshot; ``texts`` (the linted files) choose the relations whose
    CHECK constraints, defaults and exact sizes are read."""
    snap = Snapshot(SchemaModel(), server_version_num=session.server_version_num)
    try:
        with session.transaction("reading the catalog"):
            _load_catalog(session, snap)
            from . import usercode

            snap.user_code = usercode.load(session, snap.oids)
    except Skipped as exc:
        snap.skipped.append(exc)
        return snap
    rel_names = {k[1] for k in snap.oids}
    wanted = set(snap.oids) if all_details else {k for k in snap.oids if k[1] in named_relations(texts, rel_names)}
    if wanted:
        try:
            with session.transaction("reading CHECK constraints, defaults and sizes of the tables the files name"):
                _load_details(session, snap, wanted)
        except Skipped as exc:
            snap.skipped.append(exc)
    _roll_up_partitions(snap)
    return snap


def _load_catalog(session: Session, snap: Snapshot) -> None:
    model = snap.model
    bs = int(session.scalar("SELECT current_setting('block_size')"))
    snap.block_size = bs
    path = session.scalar("SELECT current_schemas(false)") or []
    path = [p for p in path if not p.startswith("pg_")]
    if path:
        model.search_path = list(path)
    model.schemas = {r[0] for r in session.fetch(Q_SCHEMAS)} | {"public"}
    by_oid: dict[int, Table] = {}
    for (oid, schema, name, kind, persistence, reltuples, relpages, toast_pages, _ispart, index_pages,
         live) in session.fetch(Q_RELATIONS):
        key = (schema, name)
        snap.oids[key] = oid
        if kind == "S":
            model.sequences[key] = None
            continue
        t = Table(key, kind=kind, persistence=persistence, origin=None, complete=True)
        model.tables[key] = t
        by_oid[oid] = t
        if kind in ("r", "m", "p"):
            rows = reltuples if reltuples is not None and reltuples >= 0 else (float(live) if live else None)
            heap = (relpages + toast_pages) * bs
            snap.stats[f"{schema}.{name}"] = RelStats(key, kind, rows, heap, heap + index_pages * bs)
    attnames: dict[tuple[int, int], str] = {}
    for oid, num, name, formatted, notnull, identity, generated in session.fetch(Q_COLUMNS):
        t = by_oid.get(oid)
        attnames[(oid, num)] = name
        if t is None:
            continue
        t.columns[name] = Column(name, parse_type(formatted), bool(notnull), None,
                                 generated or None, bool(identity))
    index_names: dict[int, str] = {}
    for (ioid, toid, schema, name, unique, _primary, valid, partial, _exprs, indkey, _am, relpages,
         nkey) in session.fetch(Q_INDEXES):
        t = by_oid.get(toid)
        index_names[ioid] = name
        if t is None:
            continue
        keys = list(indkey or ())[: nkey or len(indkey or ())]
        cols = tuple(attnames.get((toid, k)) if k else None for k in keys)
        key = (schema, name)
        model.indexes[key] = Index(key, t.key, cols, unique=bool(unique), partial=bool(partial),
                                   valid=bool(valid), origin=None)
        tstats = snap.stats.get(f"{t.key[0]}.{t.key[1]}")
        snap.stats[f"{schema}.{name}"] = RelStats(key, "i", tstats.rows if tstats else None,
                                                  relpages * bs, relpages * bs, table=t.key)
    for (roid, name, kind, validated, conkey, froid, confkey, indoid) in session.fetch(Q_CONSTRAINTS):
        t = by_oid.get(roid)
        if t is None:
            continue
        cols = tuple(attnames.get((roid, k), "") for k in conkey or ())
        c = Constraint(name, kind, cols, bool(validated), origin=None)
        if kind == "f":
            ref = by_oid.get(froid)
            c.ref_table = ref.key if ref is not None else None
            c.ref_columns = tuple(attnames.get((froid, k), "") for k in confkey or ())
        if indoid and kind in ("p", "u", "x"):
            c.index = index_names.get(indoid)
            idx = model.indexes.get((t.key[0], c.index or ""))
            if idx is not None:
                idx.constraint = name
        t.constraints[name] = c
    for child, parent in session.fetch(Q_PARTITIONS):
        ct, pt = by_oid.get(child), by_oid.get(parent)
        if ct is not None and pt is not None:
            ct.partition_of = pt.key
    for relid, attrs, defid in session.fetch(Q_PARTKEYS):
        t = by_oid.get(relid)
        if t is None:
            continue
        t.partition_key = tuple(attnames[(relid, a)] for a in attrs or () if a and (relid, a) in attnames)
        d = by_oid.get(defid) if defid else None
        if d is not None:
            t.default_partition = d.key
    for name, vol, secdef, schema in session.fetch(Q_FUNCTIONS):
        lname = name.lower()
        old = snap.volatility.get(lname)
        if old is None or _VOL_RANK.get(vol, 2) > _VOL_RANK.get(old, 2):
            snap.volatility[lname] = vol
        if schema in ("pg_catalog", "information_schema"):
            continue
        f = model.functions.get(lname)
        if f is None or _VOL_RANK.get(vol, 2) > _VOL_RANK.get(f.volatility, 2):
            model.functions[lname] = Function(name, vol, bool(secdef) or bool(f and f.security_definer), None)
    for schema, typ, label in session.fetch(Q_ENUMS):
        model.enums.setdefault((schema, typ), []).append(label)


def _load_details(session: Session, snap: Snapshot, wanted: set[Key]) -> None:
    oids = [snap.oids[k] for k in wanted]
    # indexes of the named tables, for their exact sizes
    idx_oids = []
    if oids:
        idx_oids = [r[0] for r in session.fetch(
            "SELECT indexrelid::int8 FROM pg_index WHERE indrelid = ANY(%s::oid[])", [oids])]
    by_oid = {snap.oids[k]: k for k in snap.oids}
    model = snap.model
    for roid, name, definition in session.fetch(Q_CHECKS, [oids]):
        t = model.tables.get(by_oid.get(roid))
        if t is not None and name in t.constraints:
            t.constraints[name].expr = parse_check(definition)
    for roid, col, expr in session.fetch(Q_DEFAULTS, [oids]):
        t = model.tables.get(by_oid.get(roid))
        if t is not None and col in t.columns and expr is not None:
            t.columns[col].default = parse_expr(expr)
    sizes = session.fetch(Q_SIZES, [oids + idx_oids])
    oid_to_name: dict[int, str] = {snap.oids[k]: f"{k[0]}.{k[1]}" for k in snap.oids}
    if idx_oids:
        for ioid, schema, name in session.fetch(
                "SELECT c.oid::int8, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE c.oid = ANY(%s::oid[])", [idx_oids]):
            oid_to_name[ioid] = f"{schema}.{name}"
    for oid, total, heap in sizes:
        st = snap.stats.get(oid_to_name.get(oid, ""))
        if st is None:
            continue
        st.total_bytes = total
        st.heap_bytes = heap
        st.exact = True


def _roll_up_partitions(snap: Snapshot) -> None:
    """A partitioned table has no storage: its size and rows are its partitions'."""
    model = snap.model
    children: dict[Key, list[Key]] = {}
    for t in model.tables.values():
        if t.partition_of is not None:
            children.setdefault(t.partition_of, []).append(t.key)

    def total(key: Key, seen: set) -> tuple[float | None, int, int, bool]:
        st = snap.stats.get(f"{key[0]}.{key[1]}")
        if key in seen:
            return 0.0, 0, 0, True
        seen.add(key)
        kids = children.get(key)
        if not kids:
            if st is None:
                return None, 0, 0, False
            return st.rows, st.heap_bytes, st.total_bytes, st.exact
        rows: float | None = 0.0
        heap = tot = 0
        exact = True
        for k in kids:
            r, h, t_, e = total(k, seen)
            rows = None if rows is None or r is None else rows + r
            heap += h
            tot += t_
            exact = exact and e
        return rows, heap, tot, exact

    for key, t in model.tables.items():
        if t.kind != "p":
            continue
        st = snap.stats.get(f"{key[0]}.{key[1]}")
        if st is None:
            continue
        st.rows, st.heap_bytes, st.total_bytes, st.exact = total(key, set())

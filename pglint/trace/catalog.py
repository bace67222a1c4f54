"""Catalog snapshots trace compares before and after each statement: relations and their
storage (``pg_class.relfilenode``), the relation locks of a backend (``pg_locks``), and
the columns (``pg_attribute``) and constraints (``pg_constraint``) of tables."""

from __future__ import annotations

from dataclasses import dataclass

# relkinds: r table, p partitioned table, i index, I partitioned index, S sequence,
# v view, m materialized view, f foreign table (composite types and TOAST left out)
TABLE_KINDS = frozenset("rpmf")
KIND_WORDS = {"r": "table", "p": "partitioned table", "i": "index", "I": "partitioned index", "S": "sequence",
              "v": "view", "m": "materialized view", "f": "foreign table"}

RELATIONS_SQL = """
SELECT c.oid::int8, c.relfilenode::int8, c.relkind::text, n.nspname::text, c.relname::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'i', 'I', 'S', 'v', 'm', 'f')
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
"""

OWN_LOCKS_SQL = """
SELECT relation::int8, mode, granted FROM pg_catalog.pg_locks
WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'relation'
  AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
"""

PID_LOCKS_SQL = """
SELECT locktype, relation::int8, mode, granted FROM pg_catalog.pg_locks WHERE pid = %s
"""

COLUMNS_SQL = """
SELECT a.attrelid::int8, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

CONSTRAINTS_SQL = """
SELECT conrelid::int8, conname::text, contype::text, convalidated, pg_catalog.pg_get_constraintdef(oid)
FROM pg_catalog.pg_constraint WHERE conrelid = ANY(%s) ORDER BY conrelid, conname
"""

RESOLVE_SQL = """
SELECT x.i::int, c.oid::int8
FROM unnest(%s::text[]) WITH ORDINALITY AS x(name, i)
LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(x.name)
"""


@dataclass(frozen=True, slots=True)
class Rel:
    oid: int
    filenode: int
    kind: str
    schema: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def inheritance(conn) -> dict[int, int]:
    """Child -> parent (partitions and inheritance children)."""
    return dict(conn.execute("SELECT inhrelid::int8, inhparent::int8 FROM pg_catalog.pg_inherits").fetchall())


def relations(conn) -> dict[int, Rel]:
    return {r[0]: Rel(*r) for r in conn.execute(RELATIONS_SQL).fetchall()}


def own_locks(conn) -> dict[int, set[str]]:
    """Relation locks held (or awaited) by this connection's backend: oid -> modes."""
    out: dict[int, set[str]] = {}
    for oid, mode, _granted in conn.execute(OWN_LOCKS_SQL).fetchall():
        if oid is not None:
            out.setdefault(oid, set()).add(mode)
    return out


def pid_locks(conn, pid: int) -> list[tuple]:
    return conn.execute(PID_LOCKS_SQL, (pid,)).fetchall()


@dataclass(slots=True)
class TableShape:
    columns: dict  # name -> (type, not null, default, identity, generated)
    constraints: dict  # name -> (contype, validated, definition)


def shapes(conn, oids) -> dict[int, TableShape]:
    oids = sorted(oids)
    out: dict[int, TableShape] = {o: TableShape({}, {}) for o in oids}
    if not oids:
        return out
    for rel, name, typ, notnull, default, ident, gen in conn.execute(COLUMNS_SQL, (oids,)).fetchall():
        out[rel].columns[name] = (typ, notnull, default, ident or "", gen or "")
    for rel, name, contype, validated, definition in conn.execute(CONSTRAINTS_SQL, (oids,)).fetchall():
        out[rel].constraints[name] = (contype, validated, definition)
    return out


def quote_name(schema: str | None, name: str) -> str:
    def q(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    return f"{q(schema)}.{q(name)}" if schema else q(name)


def resolve(conn, names: list[str]) -> list[int | None]:
    """OIDs of relation names (search_path applies to unqualified ones); None: no such relation."""
    if not names:
        return []
    got = dict(conn.execute(RESOLVE_SQL, (names,)).fetchall())
    return [got.get(i + 1) for i in range(len(names))]


_CONTYPE = {"p": "primary key", "u": "unique", "f": "foreign key", "c": "check", "x": "exclusion",
            "t": "constraint trigger", "n": "not null"}


def shape_changes(rel: Rel, old: TableShape | None, new: TableShape | None) -> list[str]:
    """What changed in a table's columns and constraints, in words."""
    if old is None or new is None:
        return []
    out = []
    name = rel.qualified
    for col, (typ, nn, default, ident, gen) in new.columns.items():
        before = old.columns.get(col)
        if before is None:
            desc = typ + (" NOT NULL" if nn else "") + (f" DEFAULT {default}" if default and not gen else "")
            if gen:
                desc += f" GENERATED ALWAYS AS ({default}) STORED" if default else " GENERATED"
            if ident:
                desc += " GENERATED AS IDENTITY"
            out.append(f"column {name}.{col} added ({desc})")
            continue
        otyp, onn, odefault, oident, _ogen = before
        if otyp != typ:
            out.append(f"column {name}.{col} type {otyp} -> {typ}")
        if onn != nn:
            out.append(f"column {name}.{col} {'set NOT NULL' if nn else 'NOT NULL dropped'}")
        if odefault != default and not gen:
            out.append(f"column {name}.{col} default {odefault or 'none'} -> {default or 'none'}")
        if oident != ident:
            out.append(f"column {name}.{col} identity {'added' if ident else 'dropped'}")
    for col in old.columns:
        if col not in new.columns:
            out.append(f"column {name}.{col} dropped")
    for con, (ct, valid, definition) in new.constraints.items():
        before = old.constraints.get(con)
        kind = _CONTYPE.get(ct, ct)
        if before is None:
            out.append(f"{kind} {con} added on {name}" + ("" if valid else " (NOT VALID)"))
        elif before[1] != valid:
            out.append(f"{kind} {con} on {name} {'validated' if valid else 'marked NOT VALID'}")
        elif before[2] != definition:
            out.append(f"{kind} {con} on {name} changed")
    for con, (ct, _valid, _definition) in old.constraints.items():
        if con not in new.constraints:
            out.append(f"{_CONTYPE.get(ct, ct)} {con} dropped from {name}")
    return out

"""``--seed-rows N``: before a traced file runs, fill every existing table with generated
rows, so that scans and rewrites take time that shows in the trace.

Values follow the column types (numbers, text within its length, dates, uuids, enums,
json, arrays, network addresses, domains over those), NOT NULL columns always get one,
serial, identity and generated columns are left to PostgreSQL, and a single-column foreign
key takes its values from the referenced table, which is filled first. Triggers do not
fire while seeding (``session_replication_role = replica``) when the role may set it. A
table that cannot be filled this way (a check constraint the values break, a type pglint
cannot generate) is left as it is, and the notes say why.
"""

from __future__ import annotations

import time

TABLES_SQL = """
SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't'
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 2, 3
"""

COLUMNS_SQL = """
SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity::text,
       a.attgenerated::text, pg_catalog.pg_get_expr(d.adbin, d.adrelid),
       COALESCE(NULLIF(t.typbasetype, 0), t.oid)::int8, a.atttypmod,
       bt.typname::text, bt.typcategory::text, t.typtype::text, a.attndims
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = COALESCE(NULLIF(t.typbasetype, 0), t.oid)
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

FKS_SQL = """
SELECT conrelid::int8, confrelid::int8, conkey::int2[], confkey::int2[],
       (SELECT array_agg(attname::text ORDER BY k.i) FROM unnest(conkey) WITH ORDINALITY k(n, i)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n),
       (SELECT array_agg(attname::text ORDER BY k.i) FROM unnest(confkey) WITH ORDINALITY k(n, i)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n)
FROM pg_catalog.pg_constraint WHERE contype = 'f'
"""


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _value(name: str, typ: str, typmod: int, category: str, typtype: str, base: str, ndims: int) -> str | None:
    """An SQL expression of ``g`` (1, 2, 3, ...) for a column of this type, or None."""
    if ndims:
        return f"'{{}}'::{typ}"
    if typtype == "e":
        return f"(enum_range(NULL::{typ}))[1 + (g % array_length(enum_range(NULL::{typ}), 1))::int]"
    if base == "int2":
        return f"(g % 32767)::{typ}"
    if base in ("int4", "int8", "oid"):
        return f"g::{typ}"
    if base == "numeric":
        if typmod >= 4:
            precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
            limit = 10 ** max(precision - scale, 0)
            return f"(g % {limit})::{typ}" if limit > 1 else f"0::{typ}"
        return f"g::{typ}"
    if base in ("float4", "float8", "money"):
        return f"g::{typ}"
    if base == "bool":
        return f"(g % 2 = 0)::{typ}"
    if category == "S":  # text, varchar(n), char(n), name, citext
        return f"('{name[:1] or 'v'}' || g)::{typ}"
    if base == "date":
        return f"(date '2000-01-01' + (g % 20000)::int)::{typ}"
    if base in ("timestamp", "timestamptz"):
        return f"(timestamp '2000-01-01' + g * interval '1 second')::{typ}"
    if base in ("time", "timetz"):
        return f"(time '00:00' + (g % 86400) * interval '1 second')::{typ}"
    if base == "interval":
        return f"(g * interval '1 second')::{typ}"
    if base == "uuid":
        return f"md5(g::text)::uuid::{typ}"
    if base in ("json", "jsonb"):
        return f"'{{}}'::{typ}"
    if base == "bytea":
        return f"int8send(g)::{typ}"
    if base in ("inet", "cidr"):
        return f"('10.0.0.0'::inet + g)::{typ}" if base == "inet" else None
    if base == "macaddr":
        return None
    if base == "tsvector":
        return f"''::{typ}"
    return None


def _order(tables: dict[int, tuple], fks: list[tuple]) -> list[int]:
    """Referenced tables before the tables that reference them (cycles broken anywhere)."""
    deps: dict[int, set[int]] = {oid: set() for oid in tables}
    for child, parent, *_ in fks:
        if child in deps and parent in deps and child != parent:
            deps[child].add(parent)
    out: list[int] = []
    seen: set[int] = set()

    def visit(oid: int, stack: set[int]) -> None:
        if oid in seen or oid in stack:
            return
        stack.add(oid)
        for p in sorted(deps[oid]):
            visit(p, stack)
        stack.discard(oid)
        seen.add(oid)
        out.append(oid)

    for oid in sorted(tables, key=lambda o: tables[o][:2]):
        visit(oid, set())
    return out


# generated numbers start here, clear of the small keys migrations insert themselves
BASE = 1_000_000


def seed_tables(conn, rows: int, done: set[int] | None = None) -> list[str]:
    """Fill every ordinary table not in ``done`` (OIDs: tables seeded, or tried, before)
    up to ``rows`` rows, and add it to ``done``; returns what was done, in words. Each table
    is filled once: rows a later migration deletes stay deleted, as they would in production."""
    import psycopg

    notes: list[str] = []
    done = set() if done is None else done
    tables = {r[0]: r[1:] for r in conn.execute(TABLES_SQL).fetchall()}
    if not tables or not set(tables) - done:
        return notes
    fks = conn.execute(FKS_SQL).fetchall()
    try:
        conn.execute("SET session_replication_role = replica")  # no triggers, no FK checks while seeding
        quiet = True
    except psycopg.Error:
        quiet = False
    try:
        for oid in _order(tables, fks):
            if oid in done:
                continue
            done.add(oid)
            schema, name, _kind = tables[oid]
            qname = f"{_ident(schema)}.{_ident(name)}"
            label = f"{schema}.{name}"
            try:
                have = conn.execute(f"SELECT count(*) FROM {qname}").fetchone()[0]
            except psycopg.Error as exc:
                notes.append(f"could not seed {label}: {exc.diag.message_primary or exc}")
                continue
            need = rows - have
            if need <= 0:
                continue
            sql, why = _insert(conn, oid, qname, need, have, fks, tables)
            if sql is None:
                notes.append(f"could not seed {label}: {why}")
                continue
            t0 = time.perf_counter()
            try:
                conn.execute(sql)
            except psycopg.Error as exc:
                notes.append(f"could not seed {label}: {exc.diag.message_primary or exc}")
                continue
            notes.append(f"seeded {label}: {need} rows added ({(time.perf_counter() - t0) * 1000:.0f} ms)")
    finally:
        if quiet:
            conn.execute("RESET session_replication_role")
    return notes


def _insert(conn, oid, qname, need, have, fks, tables) -> tuple[str | None, str]:
    cols, exprs, joins = [], [], []
    single_fk = {}
    for child, parent, conkey, _confkey, names, pnames in fks:
        if child == oid and names and len(names) == 1 and parent in tables:
            single_fk[names[0]] = (parent, pnames[0])
        elif child == oid and names:
            for n in names:
                single_fk.setdefault(n, None)  # multi-column key: NULL when allowed
    for (name, typ, notnull, ident, generated, default, _base_oid, typmod, base, category, typtype,
         ndims) in conn.execute(COLUMNS_SQL, (oid,)).fetchall():
        if generated or ident or (default and "nextval(" in default):
            continue  # PostgreSQL fills it
        if name in single_fk:
            ref = single_fk[name]
            if ref is None or ref[0] == oid:
                if notnull:
                    return None, f"column {name} is part of a foreign key pglint cannot fill"
                continue
            parent, pcol = ref
            alias = f"f{len(joins)}"
            ps, pn, _ = tables[parent]
            joins.append(f"CROSS JOIN (SELECT array_agg({_ident(pcol)}) AS a FROM {_ident(ps)}.{_ident(pn)}) {alias}")
            cols.append(_ident(name))
            exprs.append(f"{alias}.a[1 + ((g - 1) % array_length({alias}.a, 1))::int]")
            continue
        value = _value(name, typ, typmod, category, typtype, base, ndims)
        if value is None:
            if notnull and not default:
                return None, f"pglint cannot generate values of type {typ} (column {name})"
            continue
        cols.append(_ident(name))
        exprs.append(value)
    if not cols:  # every column has a default: a row of defaults each time
        return f"INSERT INTO {qname} SELECT FROM generate_series(1, {need})", ""
    return (f"INSERT INTO {qname} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
            f"FROM generate_series({BASE + 1}, {BASE + need}) AS s(g) {' '.join(joins)}"), ""

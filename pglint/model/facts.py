"""Facts derived from the schema model that several rules (and the lock model) need:
does this ADD COLUMN rewrite, does this type change rewrite, does SET NOT NULL scan."""

from __future__ import annotations

import re

from .locks import LockContext, column_constraints
from .nodes import column_refs, is_null_const, strings, walk
from .schema import SchemaModel
from .types import SERIAL_TYPES, change_rewrites, column_type
from .volatility import volatile_calls


# time zones whose offset is zero and never changes: with one of them as the session's
# TimeZone, PostgreSQL 12+ changes a column between timestamp and timestamptz in place
# (TimestampTimestampTzRequiresRewrite); a zone with summer time (Europe/London) rewrites
UTC_ZONES = frozenset({
    "utc", "etc/utc", "uct", "etc/uct", "gmt", "etc/gmt", "gmt0", "etc/gmt0", "gmt+0", "etc/gmt+0", "gmt-0",
    "etc/gmt-0", "greenwich", "etc/greenwich", "universal", "etc/universal", "zulu", "etc/zulu",
})
_ZERO_OFFSET = re.compile(r"^[+-]?0+(?:\.0+)?$")


def is_utc_zone(value: str) -> bool:
    """A TimeZone setting (as SET wrote it) with a fixed zero offset: a UTC name or 0."""
    v = value.strip().strip("'\"").strip().lower()
    return v in UTC_ZONES or bool(_ZERO_OFFSET.match(v))


class SchemaFacts(LockContext):
    def __init__(self, schema: SchemaModel, pg_version: tuple, timezone_utc: bool = False) -> None:
        self.schema = schema
        self.pg_version = pg_version
        self.timezone_utc = timezone_utc

    # -- ADD COLUMN ------------------------------------------------------------
    def add_column_rewrite_reason(self, coldef: dict) -> str | None:
        """Why ADD COLUMN ``coldef`` rewrites the table, or None when it does not."""
        typ = column_type(coldef.get("typeName"))
        if typ is not None and typ.name in SERIAL_TYPES and not typ.array:
            return f"a {typ.name} column gets a DEFAULT nextval(), which is volatile: every existing row is written"
        default = coldef.get("raw_default")
        for con in column_constraints(coldef):
            ct = con.get("contype")
            if ct == "CONSTR_IDENTITY":
                return "an identity column gives every existing row a sequence value, which rewrites the table"
            if ct == "CONSTR_GENERATED":
                if con.get("generated_kind") == "v":
                    continue  # PostgreSQL 18 virtual generated column: computed on read
                return "a stored generated column is computed and written for every existing row"
            if ct == "CONSTR_DEFAULT":
                default = con.get("raw_expr")
        domain = self.domain_of(typ)
        if domain:
            if self.pg_version < (19,):
                return (f"the column's type is the domain {typ.name}, which has constraints: PostgreSQL rewrites the "
                        "table to check them against every existing row (before PostgreSQL 19, whatever the DEFAULT)")
            calls = [c for expr in domain.values() if expr is not None
                     for c in volatile_calls(expr, self.schema.function_volatility()) if c[1] == "volatile"]
            if calls:
                return f"the domain {typ.name} has a volatile constraint ({calls[0][0]}()), checked for every existing row"
        if default is None or is_null_const(default):
            return None
        if self.pg_version < (11,):
            return "before PostgreSQL 11 any non-NULL DEFAULT is written into every existing row"
        calls = volatile_calls(default, self.schema.function_volatility())
        if not calls:
            return None
        name, kind = calls[0]
        if kind == "volatile":
            return f"the DEFAULT calls {name}(), which is VOLATILE, so it is evaluated and written for every existing row"
        if name == "(subquery)":
            return "the DEFAULT is not a constant expression, so it is evaluated for every existing row"
        return (
            f"the DEFAULT calls {name}(), which pglint cannot prove non-volatile; if it is VOLATILE "
            "it is evaluated and written for every existing row"
        )

    def domain_of(self, typ) -> dict | None:
        """The constraints of the domain ``typ`` names (None: not a domain the model knows)."""
        if typ is None or typ.array:
            return None
        if typ.schema:
            return self.schema.domains.get((typ.schema, typ.name))
        for s in self.schema.search_path:
            d = self.schema.domains.get((s, typ.name))
            if d is not None:
                return d
        return None

    # -- ALTER COLUMN TYPE ------------------------------------------------------
    def old_column_type(self, rv: dict, column: str):
        t = self.schema.table(rv)
        if t is None:
            return None
        col = t.columns.get(column)
        return col.type if col is not None else None

    def type_change_rewrites(self, rv: dict, column: str, coldef: dict) -> bool | None:
        new = column_type(coldef.get("typeName"))
        using = coldef.get("raw_default")
        if using is not None and not _trivial_using(using, column):
            return True
        old = self.old_column_type(rv, column)
        if old is None or new is None:
            return None
        r = change_rewrites(old, new)
        if r is None and {old.name, new.name} == {"timestamp", "timestamptz"} and not old.array and not new.array:
            utc = self.timezone_is_utc()
            if self.pg_version >= (12,) and utc is True:
                return False
            if utc is False:
                return True
        return r

    def timezone_is_utc(self) -> bool | None:
        """Whether the session's TimeZone is UTC: as configured (timezone-utc), else not known."""
        return True if self.timezone_utc else None

    # -- SET NOT NULL -------------------------------------------------------------
    def not_null_check(self, rv: dict, column: str):
        """A validated CHECK (column IS NOT NULL) on the table, if the model knows one."""
        t = self.schema.table(rv)
        if t is None:
            return None
        for c in t.constraints.values():
            if c.kind == "c" and c.validated and c.expr is not None and proves_not_null(c.expr, column):
                return c
            if c.kind == "n" and c.validated and column in c.columns:
                return c
        return None

    def set_not_null_needs_scan(self, rv: dict, column: str) -> bool:
        t = self.schema.table(rv)
        if t is not None:
            col = t.columns.get(column)
            if col is not None and col.not_null:
                return False  # already NOT NULL: nothing to check
        if self.pg_version >= (12,) and self.not_null_check(rv, column) is not None:
            return False
        return True

    # -- partitions -----------------------------------------------------------------
    def attach_needs_scan(self, parent: dict, partition: dict) -> bool:
        return self.partition_check(parent, partition) is None

    def partition_check(self, parent: dict, partition: dict):
        """A validated CHECK on the partition that covers the partition key columns."""
        part = self.schema.table(partition)
        if part is None:
            return None
        par = self.schema.table(parent)
        keys = set(par.partition_key) if par is not None else set()
        for c in part.constraints.values():
            if c.kind != "c" or not c.validated or c.expr is None:
                continue
            cols = {r[-1] for r in column_refs(c.expr) if r}
            if not keys or keys <= cols:
                return c
        return None

    # -- foreign keys and indexes ----------------------------------------------------
    def foreign_keys_of(self, rv: dict):
        t = self.schema.table(rv)
        if t is None:
            return []
        return [c.ref_table for c in t.constraints.values() if c.kind == "f" and c.ref_table and c.ref_table != t.key]

    def fk_target_of_constraint(self, rv: dict, name: str):
        t = self.schema.table(rv)
        if t is None:
            return None
        c = t.constraints.get(name)
        if c is not None and c.kind == "f" and c.ref_table != t.key:
            return c.ref_table
        return None

    def table_of_index(self, schema, name):
        i = self.schema.index(schema, name)
        return i.table if i is not None else None

    def children_of(self, rv: dict):
        t = self.schema.table(rv)
        if t is None:
            return []
        out, todo = [], [t.key]
        while todo:
            k = todo.pop()
            for other in self.schema.tables.values():
                if (other.partition_of == k or k in other.parents) and other.key not in out:
                    out.append(other.key)
                    todo.append(other.key)
        return out

    def fk_targets_of_column(self, rv: dict, column: str):
        t = self.schema.table(rv)
        if t is None:
            return []
        return list(dict.fromkeys(c.ref_table for c in t.constraints.values()
                                  if c.kind == "f" and column in c.columns and c.ref_table and c.ref_table != t.key))

    def referencing_tables(self, rv: dict, column: str | None = None):
        key = self.schema.rv_key(rv)
        out = []
        for other in self.schema.tables.values():
            if other.key == key:
                continue
            for c in other.constraints.values():
                if c.kind == "f" and c.ref_table == key and (column is None or column in c.ref_columns):
                    out.append(other.key)
                    break
        return out

    def dependent_views(self, rv: dict, column: str | None = None):
        """Views and materialized views that read the relation (or one of its columns), and
        the views that read those: DROP ... CASCADE drops them all."""
        key = self.schema.rv_key(rv)
        out: list = []
        todo = [(key, column)]
        while todo:
            k, col = todo.pop()
            for v in self.schema.tables.values():
                if v.kind not in ("v", "m") or v.key == key or v.key in [x for x, _ in out]:
                    continue
                if any(r[0] == k and (col is None or r[1] in (col, "*")) for r in v.reads):
                    out.append((v.key, "matview" if v.kind == "m" else "view"))
                    todo.append((v.key, None))
        return out

    def trigger_tables(self, function: str):
        name = function.lower()
        return [t.key for t in self.schema.tables.values() if name in t.triggers.values()]

    def has_children(self, rv: dict) -> bool:
        t = self.schema.table(rv)
        if t is None:
            return False
        return t.kind == "p" or any(t.key in other.parents for other in self.schema.tables.values())

    def default_partition_of(self, rv: dict):
        t = self.schema.table(rv)
        return t.default_partition if t is not None else None

    def view_relations(self, rv: dict):
        t = self.schema.table(rv)
        if t is None or t.kind != "v":
            return []
        out: list = []
        todo = [t]
        while todo:
            v = todo.pop()
            for key in sorted(v.sources | {r[0] for r in v.reads}):
                base = self.schema.tables.get(key)
                if base is None or key == t.key or key in [k for k, _ in out]:
                    continue
                out.append((key, {"v": "view", "m": "matview"}.get(base.kind, "table")))
                if base.kind == "v":
                    todo.append(base)
        return out

    def column_exists(self, rv: dict, column: str) -> bool | None:
        t = self.schema.table(rv)
        if t is None:
            return None
        if column in t.columns:
            return True
        return False if t.complete else None

    def trigger_exists(self, rv: dict, name: str) -> bool | None:
        t = self.schema.table(rv)
        if t is None or not t.complete:
            return None
        return name in t.triggers

    def access_method_changes(self, rv: dict, method: str | None) -> bool:
        t = self.schema.table(rv)
        if t is None or not t.complete:
            return True  # not known: PostgreSQL rewrites unless it is the table's method already
        return (method or "heap") != (t.access_method or "heap")


def _trivial_using(expr: dict, column: str) -> bool:
    """USING col or USING col::newtype does not change the contents."""
    t = expr.get("TypeCast")
    if t is not None:
        expr = t.get("arg") or {}
    ref = expr.get("ColumnRef")
    return bool(ref) and strings(ref.get("fields"))[-1:] == [column]


def proves_not_null(expr: dict, column: str) -> bool:
    """Whether CHECK (expr) implies ``column IS NOT NULL`` (the test PostgreSQL 12+ uses to
    skip the scan of SET NOT NULL: a top-level IS NOT NULL, possibly ANDed)."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if type(e) is not dict:
            continue
        nt = e.get("NullTest")
        if nt is not None:
            if nt.get("nulltesttype") == "IS_NOT_NULL":
                ref = (nt.get("arg") or {}).get("ColumnRef")
                if ref and strings(ref.get("fields"))[-1:] == [column]:
                    return True
            continue
        be = e.get("BoolExpr")
        if be is not None and be.get("boolop") == "AND_EXPR":
            stack.extend(be.get("args") or ())
    return False


def mentions_column(expr, column: str) -> bool:
    return any(t == "ColumnRef" and strings(f.get("fields"))[-1:] == [column] for t, f in walk(expr))

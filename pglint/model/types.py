"""Column types: normalise a TypeName so that ``int``, ``integer`` and ``int4`` compare equal."""

from __future__ import annotations

from dataclasses import dataclass

from .nodes import const_value, strings

# PostgreSQL's internal names for the SQL spellings (the grammar already maps most
# keywords; quoted or bare names reach us as written).
_CANONICAL = {
    "int": "int4", "integer": "int4", "int4": "int4",
    "smallint": "int2", "int2": "int2",
    "bigint": "int8", "int8": "int8",
    "serial": "serial", "serial4": "serial",
    "bigserial": "bigserial", "serial8": "bigserial",
    "smallserial": "smallserial", "serial2": "smallserial",
    "varchar": "varchar", "character varying": "varchar",
    # bare char/character become pg_catalog.bpchar in the grammar; a name "char" that reaches
    # us is the quoted (or pg_catalog-qualified) single-byte internal type "char"
    "character": "bpchar", "bpchar": "bpchar",
    "text": "text",
    "bool": "bool", "boolean": "bool",
    "float4": "float4", "real": "float4",
    "float8": "float8", "double precision": "float8", "float": "float8",
    "numeric": "numeric", "decimal": "numeric",
    "timestamp": "timestamp", "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "time": "time", "time without time zone": "time",
    "timetz": "timetz", "time with time zone": "timetz",
    "json": "json", "jsonb": "jsonb", "money": "money", "uuid": "uuid",
    "date": "date", "interval": "interval", "bytea": "bytea", "citext": "citext",
}

_DISPLAY = {
    "int4": "integer", "int2": "smallint", "int8": "bigint", "bpchar": "char",
    "float4": "real", "float8": "double precision", "bool": "boolean",
}

SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial"})
INTEGER_TYPES = frozenset({"int2", "int4", "int8"})
# the integer type behind each serial pseudo-type
SERIAL_BASE = {"serial": "int4", "bigserial": "int8", "smallserial": "int2"}


@dataclass(frozen=True, slots=True)
class ColumnType:
    name: str  # canonical name, e.g. "int4", "varchar", or a user type "myschema.mood"
    mods: tuple = ()  # type modifiers, e.g. (100,) for varchar(100), (10, 2) for numeric
    array: int = 0  # number of array dimensions
    schema: str | None = None  # for types outside pg_catalog

    def display(self) -> str:
        base = _DISPLAY.get(self.name, self.name)
        if self.schema and self.schema != "pg_catalog":
            base = f"{self.schema}.{base}"
        if self.mods:
            base += "(" + ",".join(str(m) for m in self.mods) + ")"
        return base + "[]" * self.array

    @property
    def base_integer(self) -> str | None:
        """int2/int4/int8 for integer and serial types."""
        if self.array:
            return None
        if self.name in INTEGER_TYPES:
            return self.name
        return SERIAL_BASE.get(self.name)


def column_type(tn: dict | None) -> ColumnType | None:
    """Normalise the fields of a TypeName node."""
    if not tn:
        return None
    names = strings(tn.get("names"))
    if not names:
        return None
    schema = None
    if len(names) > 1:
        schema = names[-2]
    raw = names[-1]
    if schema in (None, "pg_catalog"):
        name = _CANONICAL.get(raw, raw)
        schema = None
    else:
        name = raw
    mods = []
    for m in tn.get("typmods") or ():
        v = const_value(m)
        if v is None:
            ref = m.get("ColumnRef") if type(m) is dict else None
            if ref:
                v = ".".join(strings(ref.get("fields")))
        mods.append(v)
    if name == "interval" and mods:
        mods = []  # interval field masks are not user-visible precision
    array = len(tn.get("arrayBounds") or ())
    return ColumnType(name, tuple(mods), array, schema)


def is_text_like(t: ColumnType) -> bool:
    return not t.array and t.name in ("text", "varchar")


def change_rewrites(old: ColumnType, new: ColumnType) -> bool | None:
    """Whether ALTER COLUMN ... TYPE from ``old`` to ``new`` rewrites the table.

    True: rewrites; False: known binary-compatible (no rewrite); None: unknown.
    Facts from the PostgreSQL documentation (ALTER TABLE notes) and the catalog's
    binary-coercible casts.
    """
    if old == new:
        return False
    if old.array != new.array:
        return True
    o, n = old.name, new.name
    if o == "varchar" and n == "varchar":
        if not new.mods:
            return False
        if not old.mods:
            return True
        return not (_num(new.mods[0]) >= _num(old.mods[0]))
    if o == "varchar" and n == "text":
        return False
    if o == "text" and n == "varchar" and not new.mods:
        return False
    if o == "bpchar" and n in ("text", "varchar") and not new.mods:
        # char(n) -> text drops trailing-space semantics but is binary coercible
        return False
    if o == "numeric" and n == "numeric":
        if not new.mods:
            return False
        if not old.mods:
            return True
        op, os_ = _num(old.mods[0]), _num(old.mods[1]) if len(old.mods) > 1 else 0
        np_, ns = _num(new.mods[0]), _num(new.mods[1]) if len(new.mods) > 1 else 0
        return not (ns == os_ and np_ >= op)
    if o in ("timestamp", "timestamptz", "time", "timetz", "interval") and n == o:
        # raising (or removing) fractional-second precision does not rewrite
        if not new.mods:
            return False
        if not old.mods:
            return True
        return not (_num(new.mods[0]) >= _num(old.mods[0]))
    if o == "cidr" and n == "inet":
        return False
    if (o, n) in (("citext", "text"), ("text", "citext")):
        return False
    if old.schema or new.schema:
        return None  # user-defined types: cannot tell
    if o == "timestamp" and n == "timestamptz" or o == "timestamptz" and n == "timestamp":
        return None  # no rewrite only when the session time zone is UTC (PG 12+)
    return True


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("inf")

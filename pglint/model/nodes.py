"""Helpers over libpg_query's JSON parse tree.

A node is ``{"TypeName": {fields...}}`` where a field may hold a node, a list of
nodes, a scalar, or (for fields whose C type is a specific struct such as
``RangeVar*``) the struct's fields directly, without the type wrapper. Field names and
enum values are PostgreSQL's own (``AT_AddColumn``, ``CONSTR_FOREIGN``); absent fields
have their zero value.
"""

from __future__ import annotations

from collections.abc import Iterator

_FIELD_TYPES: dict[tuple[str, str], str] | None = None


def field_types() -> dict[tuple[str, str], str]:
    """(node type, field) -> struct type, for fields stored without a type wrapper."""
    global _FIELD_TYPES
    if _FIELD_TYPES is None:
        from pglast import ast

        table: dict[tuple[str, str], str] = {}
        for name in dir(ast):
            cls = getattr(ast, name)
            slots = getattr(cls, "__slots__", None)
            if not isinstance(slots, dict):
                continue
            for fname, info in slots.items():
                ctype = getattr(info, "c_type", "")
                if ctype.endswith("*") and ctype[:-1] not in ("Node", "List", "char", "Expr", "void"):
                    table[(name, fname.rstrip("_"))] = ctype[:-1]
        _FIELD_TYPES = table
    return _FIELD_TYPES


def unwrap(n: dict) -> tuple[str, dict]:
    """('TypeName', fields) of a wrapped node."""
    for k, v in n.items():
        return k, v
    raise ValueError("empty node")


def node_type(n) -> str | None:
    if type(n) is dict and len(n) == 1:
        for k in n:
            if k[:1].isupper():
                return k
    return None


def fields(n: dict, typ: str) -> dict | None:
    """Fields of wrapped node ``n`` if it is a ``typ`` node."""
    return n.get(typ) if type(n) is dict else None


def sval(n) -> str | None:
    """The string of a String node (or of a bare ``{"sval": ...}``)."""
    if type(n) is not dict:
        return None
    s = n.get("String")
    if s is not None:
        return s.get("sval", "")
    return n.get("sval")


def strings(lst) -> list[str]:
    """Strings of a list of String nodes (e.g. a qualified name)."""
    out = []
    for item in lst or ():
        s = sval(item)
        if s is not None:
            out.append(s)
    return out


def dotted(lst) -> str:
    return ".".join(strings(lst))


def const_value(n):
    """Python value of an A_Const node (or of a TypeCast of one); None if not constant."""
    if type(n) is not dict:
        return None
    c = n.get("A_Const")
    if c is None:
        tc = n.get("TypeCast")
        if tc is not None:
            return const_value(tc.get("arg"))
        return None
    if c.get("isnull"):
        return None
    for key, sub in (("ival", "ival"), ("fval", "fval"), ("boolval", "boolval"), ("sval", "sval"), ("bsval", "bsval")):
        if key in c:
            v = c[key]
            if type(v) is dict:
                return v.get(sub, 0 if key == "ival" else False if key == "boolval" else "")
            return v
    return None


def is_null_const(n) -> bool:
    c = n.get("A_Const") if type(n) is dict else None
    return bool(c and c.get("isnull"))


def relation_name(rv: dict | None) -> tuple[str | None, str]:
    """(schema or None, name) of a RangeVar's fields."""
    if not rv:
        return None, ""
    return rv.get("schemaname"), rv.get("relname", "")


def display_relation(rv: dict | None) -> str:
    schema, name = relation_name(rv)
    return f"{schema}.{name}" if schema else name


def walk(n, typ: str | None = None) -> Iterator[tuple[str, dict]]:
    """Every wrapped node below ``n`` (and ``n`` itself) as (type, fields), depth first.

    Unwrapped struct fields are reported with their struct type when ``typ`` (the
    type of ``n`` when ``n`` is a bare fields dict) is given.
    """
    ft = field_types()
    stack: list[tuple[str | None, object]] = [(typ, n)]
    while stack:
        t, x = stack.pop()
        tx = type(x)
        if tx is list:
            for item in reversed(x):
                stack.append((None, item))
            continue
        if tx is not dict:
            continue
        if t is None:
            if len(x) == 1:
                (k, v), = x.items()
                if k[:1].isupper() and type(v) is dict:
                    t, x = k, v
                else:
                    continue
            else:
                continue
        yield t, x
        children = []
        for k, v in x.items():
            tv = type(v)
            if tv is dict:
                st = ft.get((t, k))
                children.append((st, v))
            elif tv is list:
                children.append((None, v))
        stack.extend(reversed(children))


def find_all(n, wanted: str, typ: str | None = None) -> list[dict]:
    return [f for t, f in walk(n, typ) if t == wanted]


def column_refs(n) -> list[list[str]]:
    """Names of every column reference below ``n`` (each as its list of parts)."""
    out = []
    for t, f in walk(n):
        if t == "ColumnRef":
            out.append(strings(f.get("fields")))
    return out


def defelem(options, name: str) -> dict | None:
    for o in options or ():
        d = o.get("DefElem") if type(o) is dict else None
        if d and d.get("defname") == name:
            return d
    return None


def has_option(options, name: str) -> bool:
    d = defelem(options, name)
    if d is None:
        return False
    arg = d.get("arg")
    if arg is None:
        return True
    v = const_value(arg)
    if v is None:
        b = arg.get("Boolean") if type(arg) is dict else None
        if b is not None:
            return bool(b.get("boolval"))
        s = sval(arg)
        if s is not None:
            return s.lower() not in ("false", "off", "0", "no")
        return True
    if isinstance(v, str):
        return v.lower() not in ("false", "off", "0", "no")
    return bool(v)

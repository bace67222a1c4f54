"""Volatility of expressions: whether a column DEFAULT is evaluated once (a constant,
stored as the "fast default" on PostgreSQL 11+) or once per row (a table rewrite)."""

from __future__ import annotations

from .builtins import NON_VOLATILE, VOLATILE
from .nodes import strings, walk

# Functions of common extensions and of releases newer than the generated catalogue.
EXTRA_VOLATILE = frozenset({
    "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",  # uuid-ossp
    "gen_random_uuid", "gen_random_bytes", "gen_salt",  # pgcrypto
    "uuidv4", "uuidv7",  # PostgreSQL 18
})
EXTRA_NON_VOLATILE = frozenset({
    "uuid_generate_v3", "uuid_generate_v5", "uuid_nil", "uuid_ns_dns", "uuid_ns_url",
    "uuid_ns_oid", "uuid_ns_x500", "crypt", "digest", "hmac",
    "casefold", "uuid_extract_timestamp", "uuid_extract_version",
})

VOLATILE_KIND = "volatile"
UNKNOWN_KIND = "unknown"


def function_volatility(name: str, known: dict[str, str] | None = None) -> str:
    """'volatile', 'stable' (or immutable), or 'unknown' for a function name.

    ``known`` maps names of functions created in the migrations to their declared
    volatility ('v', 's', 'i').
    """
    lname = name.lower()
    if known and lname in known:
        return VOLATILE_KIND if known[lname] == "v" else "stable"
    if lname in EXTRA_VOLATILE or lname in VOLATILE:
        return VOLATILE_KIND
    if lname in NON_VOLATILE or lname in EXTRA_NON_VOLATILE:
        return "stable"
    return UNKNOWN_KIND


def volatile_calls(expr, known: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(function name, 'volatile' | 'unknown') of every call in ``expr`` that may be
    evaluated per row. An empty list means the expression is non-volatile."""
    out = []
    for t, f in walk(expr):
        if t == "FuncCall":
            parts = strings(f.get("funcname"))
            if not parts:
                continue
            kind = function_volatility(parts[-1], known)
            if kind != "stable":
                out.append((".".join(parts), kind))
        elif t == "SubLink":
            out.append(("(subquery)", UNKNOWN_KIND))
    return out

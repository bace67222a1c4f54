"""Expanding a `*` into the columns it stands for, with sqlglot against the schema model.

PostgreSQL's parser says where a star is and which relations the query reads; what the
star expands to depends on the query's scopes (joins, `USING`, subqueries, CTEs), which is
what sqlglot's qualifier resolves. The star is wrapped between two marker columns in the
statement's text, the statement is qualified against the columns the model knows for the
relations it reads, and the output columns between the markers are the expansion.

Only relations whose column lists the model knows completely are given to sqlglot: a star
over anything else stays a star, and the expansion is unknown (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

_A, _B = "__pglint_star_a", "__pglint_star_b"  # + the star's number + "__"
_MARK = "__pglint_star_"
_UNQUALIFIED = "__pglint_search_path__"  # schema under which unqualified names are given


@dataclass(frozen=True, slots=True)
class Expanded:
    # (qualifier sqlglot resolved the column through, or None for a merged USING column; name)
    columns: tuple[tuple[str | None, str], ...]


def expand_star(sql: str, star: tuple[int, int], relations: dict) -> Expanded | None:
    """The columns of the star written at ``sql[star[0]:star[1]]`` (``sql`` is one
    statement). ``relations``: {(schema as written or None, name): [column names]} for
    the relations of the statement whose columns are known."""
    return expand_stars(sql, [star], relations)[0]


def expand_stars(sql: str, stars: list[tuple[int, int]], relations: dict) -> list[Expanded | None]:
    """The same for several stars of one statement (spans that do not overlap, each an item
    of a SELECT list), resolved in one sqlglot call: each star gets its own pair of markers,
    and a star over a relation whose own star was marked drops those markers' columns."""
    text = sql
    for i, (a, b) in sorted(enumerate(stars), key=lambda x: -x[1][0]):
        text = f"{text[:a]}1 AS {_A}{i}__, {text[a:b]}, 1 AS {_B}{i}__{text[b:]}"
    mapping = tuple(sorted((s or _UNQUALIFIED, n, tuple(cols)) for (s, n), cols in relations.items()))
    return list(_expand(text, mapping, len(stars)))


def _quiet_sqlglot() -> None:
    """sqlglot logs a warning for syntax it does not read ('Falling back to parsing as a
    Command'); that is an unknown expansion here, not something for pglint's output."""
    import logging

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)


@lru_cache(maxsize=4096)
def _expand(text: str, mapping: tuple, count: int) -> tuple[Expanded | None, ...]:
    unknown = (None,) * count
    try:
        from sqlglot import exp, parse_one
        from sqlglot.optimizer.qualify import qualify
        from sqlglot.schema import MappingSchema
    except ImportError:  # pragma: no cover - sqlglot is a dependency
        return unknown
    _quiet_sqlglot()
    schema: dict = {}
    for s, n, cols in mapping:
        schema.setdefault(s, {})[n] = {c: "text" for c in cols}
    try:
        tree = parse_one(text, read="postgres")
        tree = qualify(tree, schema=MappingSchema(schema, dialect="postgres", normalize=False), db=_UNQUALIFIED,
                       dialect="postgres", expand_stars=True, validate_qualify_columns=False,
                       quote_identifiers=False, identify=False)
    except Exception:  # noqa: BLE001 - sqlglot does not read every PostgreSQL statement
        return unknown
    out: list[Expanded | None] = list(unknown)
    todo = set(range(count))
    for sel in tree.find_all(exp.Select):
        # a marker is the literal written in this SELECT (a star over a marked subquery or
        # CTE brings columns of the same name, but as column references)
        names = [p.alias_or_name if isinstance(p.unalias(), exp.Literal) else None for p in sel.expressions]
        for i in list(todo):
            a, b = f"{_A}{i}__", f"{_B}{i}__"
            if a not in names or b not in names:
                continue
            todo.discard(i)
            out[i] = _between(sel.expressions[names.index(a) + 1 : names.index(b)])
        if not todo:
            break
    return tuple(out)


def _between(items) -> Expanded | None:
    from sqlglot import exp

    out = []
    for p in items:
        name = p.alias_or_name
        if name.startswith(_MARK):
            continue  # another star's marker, come through a subquery or CTE it expands
        col = p.unalias()
        if isinstance(col, exp.Star) or (isinstance(col, exp.Column) and isinstance(col.this, exp.Star)):
            return None  # over a relation whose columns are not known
        if isinstance(col, exp.Column):
            out.append((col.table or None, name))
        else:
            out.append((None, name))  # the merged column of a USING / NATURAL join
    return Expanded(tuple(out)) if out else None

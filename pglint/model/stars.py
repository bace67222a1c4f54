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

_A, _B = "__pglint_star_a__", "__pglint_star_b__"
_UNQUALIFIED = "__pglint_search_path__"  # schema under which unqualified names are given


@dataclass(frozen=True, slots=True)
class Expanded:
    # (qualifier sqlglot resolved the column through, or None for a merged USING column; name)
    columns: tuple[tuple[str | None, str], ...]


def expand_star(sql: str, star: tuple[int, int], relations: dict) -> Expanded | None:
    """The columns of the star written at ``sql[star[0]:star[1]]`` (``sql`` is one
    statement). ``relations``: {(schema as written or None, name): [column names]} for
    the relations of the statement whose columns are known."""
    text = f"{sql[: star[0]]}1 AS {_A}, {sql[star[0] : star[1]]}, 1 AS {_B}{sql[star[1] :]}"
    mapping = tuple(sorted((s or _UNQUALIFIED, n, tuple(cols)) for (s, n), cols in relations.items()))
    return _expand(text, mapping)


def _quiet_sqlglot() -> None:
    """sqlglot logs a warning for syntax it does not read ('Falling back to parsing as a
    Command'); that is an unknown expansion here, not something for pglint's output."""
    import logging

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)


@lru_cache(maxsize=4096)
def _expand(text: str, mapping: tuple) -> Expanded | None:
    try:
        from sqlglot import exp, parse_one
        from sqlglot.optimizer.qualify import qualify
        from sqlglot.schema import MappingSchema
    except ImportError:  # pragma: no cover - sqlglot is a dependency
        return None
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
        return None
    for sel in tree.find_all(exp.Select):
        names = [p.alias_or_name for p in sel.expressions]
        if _A not in names or _B not in names:
            continue
        out = []
        for p in sel.expressions[names.index(_A) + 1 : names.index(_B)]:
            col = p.unalias()
            if isinstance(col, exp.Star) or (isinstance(col, exp.Column) and isinstance(col.this, exp.Star)):
                return None  # over a relation whose columns are not known
            if isinstance(col, exp.Column):
                out.append((col.table or None, p.alias_or_name))
            else:
                out.append((None, p.alias_or_name))  # the merged column of a USING / NATURAL join
        return Expanded(tuple(out)) if out else None
    return None

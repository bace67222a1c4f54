"""Helpers for rules that also read the expressions PL/pgSQL evaluates itself (IF and
WHILE conditions, assignments, RETURN ...): the SQL statements of a body are embedded
statements already, its expressions are not."""

from __future__ import annotations

from ..model.nodes import walk
from ..model.plpgsql import Body, expressions


def expression_nodes(ctx, wanted: frozenset, words: tuple[str, ...] = (), keep=None):
    """(node type, fields, span) of every node of a type in ``wanted`` in the PL/pgSQL
    expressions of the current CREATE FUNCTION / DO statement; span is in the file.
    ``words``: the expression's text must hold one of them (lower case) to be parsed;
    ``keep(text)``: a further test of the expression's text (lower case)."""
    stmt = ctx.stmt
    if stmt is None or stmt.plpgsql is None:
        return
    body = Body.of(stmt)
    if body is None:
        return
    if words and not any(w in body.text.lower() for w in words):
        return
    for e in expressions(body, words, keep):
        if e.tree is None or e.unit is None:
            continue
        for t, f in walk(e.tree):
            if t in wanted:
                yield t, f, span_in(ctx, e.unit, f)


def span_in(ctx, unit, node: dict) -> tuple[int, int]:
    """File span of a node parsed from ``unit``: from its first location to the end of
    the token at its last location."""
    locs = _locations(node)
    if not locs:
        return unit.offset(0), unit.offset(0)
    start = unit.offset(min(locs))
    end = ctx.token_span(unit.offset(max(locs)))[1]
    eol = ctx.sql.find("\n", start)
    if 0 <= eol < end:  # keep it on the first line: the start is what matters
        end = eol
    return start, max(end, start + 1)


def node_span(ctx, node: dict) -> tuple[int, int] | None:
    """File span of a node of the current statement (first location to the end of the
    token at the last one)."""
    stmt = ctx.stmt
    if stmt is None:
        return None
    return span_in(ctx, stmt.unit, node)


def _locations(node) -> list[int]:
    """Every ``location`` in a tree (fields dicts, wrapped nodes and lists alike)."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is dict:
            for k, v in n.items():
                if k == "location":
                    if type(v) is int and v >= 0:
                        out.append(v)
                elif type(v) in (dict, list):
                    stack.append(v)
        elif type(n) is list:
            stack.extend(n)
    return out

"""query-in-loop: the same statement executed once per item of a for loop or comprehension
in Python code, where one bulk operation does the job.

Flagged: a site inside a ``for`` loop or a comprehension whose SQL is the same at every
iteration (a constant text) and whose parameters take the loop's variables. Not flagged: a
``while`` loop (retries, polling, batches), a loop whose statement changes with the item
(different statements), a statement whose parameters do not come from the loop (a retry
over ``range(3)``), DDL and session commands, executemany / COPY themselves.
"""

from __future__ import annotations

import ast
import re

from ..engine.diagnostics import WARNING
from ..engine.registry import EVERYWHERE, Rule

RULE = Rule(
    "PG409", "query-in-loop",
    summary="The same statement executed once per item of a loop, where executemany, = ANY(array) or COPY does it at once",
    severity=WARNING, category="queries", scope=EVERYWHERE, engine=False,
)

_SINGLE = re.compile(r"(?:^|\.)(?:execute|fetch|fetchrow|fetchval|text|exec_driver_sql|raw)(?:\(text\(\)\))?$")
_FIRST = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(*\s*([A-Za-z]+)", re.S)
_WRITES = {"insert", "update", "delete", "merge"}
_READS = {"select", "with", "values", "table"}

_BULK = {
    ("psycopg", "insert"): 'cur.executemany(sql, rows) (psycopg 3 pipelines it), or COPY for many rows: '
                           'with cur.copy("COPY t (a, b) FROM STDIN") as copy: copy.write_row(row)',
    ("psycopg", "other"): 'one statement over all the items: "... WHERE id = ANY(%s)" with a list (psycopg sends '
                          'it as an array), or cur.executemany(sql, rows) for per-row values',
    ("asyncpg", "insert"): "await conn.executemany(sql, rows), or await conn.copy_records_to_table(table, records=rows)",
    ("asyncpg", "other"): 'one statement over all the items: "... WHERE id = ANY($1::bigint[])" with a list, '
                          "or await conn.executemany(sql, rows)",
    ("sqlalchemy", "insert"): 'conn.execute(text(sql), [{"a": 1}, {"a": 2}]) (a list of parameter sets runs as '
                              "executemany), or COPY for many rows",
    ("sqlalchemy", "other"): 'one statement over all the items: text("... WHERE id = ANY(:ids)") with a list, or '
                             "conn.execute(text(sql), [params, ...]) for per-row values",
    ("django", "insert"): "cursor.executemany(sql, rows), or Model.objects.bulk_create(objs)",
    ("django", "other"): 'one statement over all the items: "... WHERE id = ANY(%s)" with a list, '
                         "or cursor.executemany(sql, rows)",
}


# a parameter that holds a whole set of values
_SET_PARAM = re.compile(r"(?i)\b(?:any|all|unnest|array)\s*\(\s*\$1|\bin\s*\$1")
SMALL = 5


def _small_literal(node) -> bool:
    """A loop over a literal list, tuple or set of a few items."""
    gens = [node] if isinstance(node, (ast.For, ast.AsyncFor)) else getattr(node, "generators", [])
    for g in gens:
        it = g.iter
        if not (isinstance(it, (ast.List, ast.Tuple, ast.Set)) and len(it.elts) <= SMALL):
            return False
    return bool(gens)


def _kind(sql: str) -> str | None:
    m = _FIRST.match(sql)
    if not m:
        return None
    w = m.group(1).lower()
    if w in _WRITES or w in _READS:
        return w
    return None


def _param_names(site) -> set[str]:
    out: set[str] = set()
    for p in site.params:
        for n in ast.walk(p):
            if isinstance(n, ast.Name):
                out.add(n.id)
    return out


def check(mod, sites):
    for site in sites:
        if not site.loops or site.sql is None or not site.constant:
            continue
        loop = site.loops[-1]
        if loop.kind == "while":
            continue  # a retry, a poll or a batch loop: each round is its own statement
        if not _SINGLE.search(site.sink):
            continue  # executemany, copy: already the bulk form
        kind = _kind(site.sql)
        if kind is None:
            continue
        targets = set()
        for lp in site.loops:
            if lp.kind != "while":
                targets |= lp.targets
        if not (_param_names(site) & targets):
            continue  # the same statement with the same values: not per item
        if ";" in site.sql.strip().rstrip(";"):
            continue  # several statements: a script run per item is not one bulk statement
        if _SET_PARAM.search(site.sql):
            continue  # already a statement over a set (= ANY(%s), unnest): a loop over batches
        if _small_literal(loop.node):
            continue  # a few fixed items: the number of statements does not grow with data
        start, end = mod.span(site.call.func)
        line = mod.line(mod.span(loop.node)[0])
        where = "comprehension" if loop.kind == "comprehension" else "for loop"
        driver = site.driver if site.driver in ("psycopg", "asyncpg", "sqlalchemy", "django") else "psycopg"
        bulk = _BULK[(driver, "insert" if kind == "insert" else "other")]
        yield (site, start, end,
               f"The same {kind.upper()} runs once per item of the {where} at line {line}",
               f"Run it once for all the items: {bulk}.",
               "Each execution is a round trip to the server and a statement to execute: with many items the "
               "loop spends its time waiting on the network, and a write loop holds its transaction open all "
               "along. One bulk statement does the same work in one round trip.")

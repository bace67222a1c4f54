"""sql-injection-python: SQL text built from non-constant values in Python code.

Runs on Python modules (pglint/python): a site whose SQL was built with an f-string, ``%``
or ``.format()`` on the query text, ``+`` or ``join`` from values that are not constants
reaches a database driver. Values passed as parameters, psycopg.sql composition and
constants are not flagged.
"""

from __future__ import annotations

import re

from ..engine.diagnostics import ERROR
from ..engine.registry import EVERYWHERE, Rule

RULE = Rule(
    "PG507", "sql-injection-python",
    summary="SQL text built from non-constant values (f-string, %, .format(), +, join) reaches a database driver",
    severity=ERROR, category="security", scope=EVERYWHERE, engine=False,
)

_HOW = {
    "f-string": "an f-string",
    "percent": "% formatting of the query text",
    "format": ".format() on the query text",
    "concat": "+ concatenation",
    "join": "join()",
}

PARAMETERISED = {
    "psycopg": ('cur.execute("SELECT ... WHERE id = %s AND name = %s", (user_id, name))  # or %(name)s with a dict; '
                'a table or column name: sql.SQL("SELECT ... FROM {}").format(sql.Identifier(table))'),
    "django": ('cursor.execute("SELECT ... WHERE id = %s", [user_id])  # Model.objects.raw("... %s", [user_id]); '
               'RunSQL(sql, params)'),
    "asyncpg": 'await conn.fetch("SELECT ... WHERE id = $1 AND name = $2", user_id, name)',
    "sqlalchemy": 'conn.execute(text("SELECT ... WHERE id = :id"), {"id": user_id})',
    "alembic": 'op.execute(sa.text("UPDATE ... WHERE id = :id").bindparams(id=value))',
    "generic": "pass the values as the driver's query parameters, never inside the SQL text",
}


def help_for(driver: str, rewritten: str | None = None) -> str:
    if rewritten:
        return f"Send the values as parameters; the driver keeps them apart from the SQL text: {rewritten}."
    return ("Send the values as parameters; the driver keeps them apart from the SQL text: "
            + PARAMETERISED.get(driver, PARAMETERISED["generic"]) + ".")


_WS = re.compile(r"\s+")
# what comes before a value (not before a table or column name, nor before SQL text)
_VALUE_BEFORE = re.compile(
    r"(?:[=<>(,+\-*/]|\b(?:in|like|ilike|limit|offset|values|then|else|between|and|not|is|any|all))\s*$", re.I)
MAX_SHOWN = 160


def rewrite(mod, site) -> str | None:
    """The site's call written with parameters, when its non-constant parts are f-string
    fields or concatenated values, each standing for one value: ``cur.execute("... = %s",
    (uid,))``. None when pglint cannot write it."""
    dyn = site.dynamic
    holes = site.stand_ins
    if not dyn or len(holes) != len(dyn) or any(d.kind not in ("f-string", "concat") for d in dyn):
        return None
    if site.driver not in ("psycopg", "django", "asyncpg", "sqlalchemy") or site.placeholders:
        return None
    text = mod.text
    sql = site.written
    out, last, values, names = [], 0, [], []
    for k, ((a, b), d) in enumerate(zip(holes, dyn), 1):
        s, e = mod.span(d.node)
        expr = text[s:e]
        if "\n" in expr:
            return None
        if a > 0 and b < len(sql) and sql[a - 1] == "'" and sql[b] == "'":
            a, b = a - 1, b + 1  # '{name}': the quotes go with the value
        elif not _VALUE_BEFORE.search(sql[:a]):
            return None  # a name (FROM {table}) or a piece of SQL: a parameter cannot take its place
        name = re.sub(r"\W+", "_", expr).strip("_").lower()[:30] or f"p{k}"
        if name in names or not name[0].isalpha():
            name = f"p{k}"
        names.append(name)
        mark = {"asyncpg": f"${k}", "sqlalchemy": f":{name}"}.get(site.driver, "%s")
        out.append(sql[last:a])
        out.append(mark)
        last = b
        values.append(expr)
    out.append(sql[last:])
    shown = _WS.sub(" ", "".join(out)).strip()
    if len(shown) > MAX_SHOWN or '"' in shown:
        return None
    call = site.sink
    if site.driver == "asyncpg":
        return f'await {call}("{shown}", {", ".join(values)})'
    if site.driver == "sqlalchemy":
        params = ", ".join(f'"{n}": {v}' for n, v in zip(names, values))
        return f'text("{shown}") with {{{params}}}'
    seq = "[" + ", ".join(values) + "]" if site.driver == "django" else "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"
    return f'{call}("{shown}", {seq})'


def check(mod, sites):
    """(site, start, end, message, help, explanation) for each site built from
    non-constant values."""
    for site in sites:
        bad = site.injected
        if not bad or site.sql is None:
            continue
        first = bad[0]
        start, end = mod.span(first.node)
        how = _HOW.get(first.kind, first.kind)
        more = f" ({len(bad) - 1} more non-constant part{'s' if len(bad) > 2 else ''})" if len(bad) > 1 else ""
        driver = site.driver
        yield (site, start, end,
               f"SQL built with {how} from a non-constant value reaches {site.sink} ({driver}){more}",
               help_for(driver, rewrite(mod, site)),
               "A value pasted into the SQL text is parsed as SQL: a quote or a semicolon in it changes the "
               "statement (SQL injection), and every distinct value is a new statement for PostgreSQL to plan. "
               "Parameters travel apart from the text and are never parsed as SQL.")

"""sql-injection-python: SQL text built from non-constant values in Python code.

Runs on Python modules (pglint/python): a site whose SQL was built with an f-string, ``%``
or ``.format()`` on the query text, ``+`` or ``join`` from values that are not constants
reaches a database driver. Values passed as parameters, psycopg.sql composition and
constants are not flagged.
"""

from __future__ import annotations

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


def help_for(driver: str) -> str:
    return ("Send the values as parameters; the driver keeps them apart from the SQL text: "
            + PARAMETERISED.get(driver, PARAMETERISED["generic"]) + ".")


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
               help_for(driver),
               "A value pasted into the SQL text is parsed as SQL: a quote or a semicolon in it changes the "
               "statement (SQL injection), and every distinct value is a new statement for PostgreSQL to plan. "
               "Parameters travel apart from the text and are never parsed as SQL.")

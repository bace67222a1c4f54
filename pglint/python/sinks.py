"""The calls that hand SQL to PostgreSQL, per driver, and the ``python-sinks`` setting.

A sink is recognised from the shape of the call and the module's imports:

========================  ===========================================  ==========
driver                    calls                                         certain
========================  ===========================================  ==========
psycopg (2 and 3)         ``x.execute / executemany / copy / copy_expert``  DB-like receiver or driver imported
asyncpg                   ``await x.fetch / fetchrow / fetchval / execute / executemany``  asyncpg imported
sqlalchemy                ``text(...)``, ``x.exec_driver_sql(...)``      always
django                    ``X.objects.raw(...)``, ``cursor.execute``,   always / as psycopg
                          ``migrations.RunSQL(sql, reverse_sql)``
alembic                   ``op.execute(...)``, ``op.get_bind().execute``  always
generic                   ``python-sinks = ["mydb.run", "run_query"]``  always
========================  ===========================================  ==========

*certain* says whether pglint knows the call sends SQL to PostgreSQL. A call that may be
something else (``.execute`` on an object of unknown type) is read only when its string
starts like SQL, and a string there that PostgreSQL cannot parse is not reported as a
syntax error: pglint cannot know it was meant as SQL.
"""

from __future__ import annotations

import re

EXECUTE_METHODS = frozenset({"execute", "executemany"})
COPY_METHODS = frozenset({"copy", "copy_expert", "copy_from", "copy_to"})
ASYNCPG_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany", "cursor", "prepare"})
# receivers that are database objects by their name
DB_RECEIVER = re.compile(
    r"(?i)^(?:_*)(?:cur|curs|cursor|cr|c|conn|connection|con|cnx|db|database|dbh|session|sess|tx|txn|"
    r"transaction|bind|engine|pool|pg|postgres|psql|client|acur|aconn|async_conn|async_cursor)\d*$"
    r"|(?:cursor|_cur|conn|connection|_db|session|_tx|engine|pool)$"
)
# argument names a query is given by
QUERY_KEYWORDS = ("query", "sql", "statement", "operation", "stmt", "sql_query")
PARAM_KEYWORDS = ("params", "args", "parameters", "vars", "values", "param", "arguments")
DRIVER_MODULES = {
    "psycopg": "psycopg", "psycopg2": "psycopg", "psycopg_pool": "psycopg", "asyncpg": "asyncpg",
    "sqlalchemy": "sqlalchemy", "sqlmodel": "sqlalchemy", "flask_sqlalchemy": "sqlalchemy",
    "django": "django", "alembic": "alembic", "databases": "generic", "aiopg": "psycopg",
    "pg8000": "generic",
    # other databases' drivers: their SQL is not PostgreSQL's
    "sqlite3": "other", "aiosqlite": "other", "pymysql": "other", "MySQLdb": "other", "mysql": "other",
    "aiomysql": "other", "cx_Oracle": "other", "oracledb": "other", "pyodbc": "other", "pymssql": "other",
    "duckdb": "other", "snowflake": "other", "clickhouse_driver": "other", "ibm_db": "other",
}
# first words of an SQL statement
SQL_WORDS = frozenset("""
select insert update delete with create alter drop truncate grant revoke comment begin commit
rollback set reset copy vacuum analyze analyse explain lock refresh do call values table merge declare
fetch move close listen notify unlisten prepare execute deallocate savepoint release start end abort
reindex cluster discard security import checkpoint load show upsert
""".split())
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(*\s*([A-Za-z]+)", re.S)


def starts_like_sql(text: str) -> bool:
    m = _FIRST_WORD.match(text)
    return bool(m) and m.group(1).lower() in SQL_WORDS


def parse_extra_sinks(entries) -> list[tuple[str, ...]]:
    """``python-sinks`` entries (``"mydb.run"``, ``"run_query"``) as dotted-name tuples."""
    return [tuple(p for p in e.split(".") if p) for e in entries or () if e.strip(". ")]


def dotted(node) -> tuple[str, ...] | None:
    """``a.b.c`` as ("a", "b", "c"); a call in the chain shows as its name plus "()"
    (``op.get_bind().execute`` -> ("op", "get_bind()", "execute")); None for anything else."""
    import ast

    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return tuple(reversed(parts))
        elif isinstance(node, ast.Call):
            inner = dotted(node.func)
            if inner is None:
                return None
            parts.append(inner[-1] + "()")
            parts.extend(reversed(inner[:-1]))
            return tuple(reversed(parts))
        else:
            return None


def matches_extra(name: tuple[str, ...], extra: list[tuple[str, ...]]) -> bool:
    return any(len(name) >= len(e) and name[-len(e):] == e for e in extra)

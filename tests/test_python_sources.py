"""SQL inside Python code (issue 21, pglint/python): the reader (sinks, drivers, string
resolution, exact positions), placeholders, sql-injection-python, query-in-loop,
suppressions, the CLI option, JSON / SARIF output, the LSP, and runs without the option
unchanged."""

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import lint
from pglint.python.placeholders import substitute
from pglint.python.reader import read_module


def py(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def lint_py(code: str, **options):
    options.setdefault("python", True)
    return lint(py(code), "app.py", **options)


def rules(code: str, **options) -> list[str]:
    return sorted(d.rule for d in lint_py(code, **options))


def sites(code: str, extra=()):
    return read_module(py(code), "app.py", extra).sites


def at(code: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of ``needle`` in the dedented code."""
    text = py(code)
    k = -1
    for _ in range(nth + 1):
        k = text.index(needle, k + 1)
    line = text.count("\n", 0, k) + 1
    return line, k - (text.rfind("\n", 0, k) + 1) + 1


# -- sinks -------------------------------------------------------------------------------------

SINKS = """
import asyncpg
import psycopg
import sqlalchemy as sa
from django.db import connection, migrations
from alembic import op
from myapp.models import User


async def a(pool, uid):
    async with pool.acquire() as conn:
        await conn.fetch("SELEC 1 FROM t WHERE id = $1", uid)
        await conn.fetchrow("SELEC 2")
        await conn.fetchval("SELEC 3")
        await conn.execute("SELEC 4")
        await conn.executemany("SELEC 5", [])


def p(conn):
    with conn.cursor() as cur:
        cur.execute("SELEC 6")
        cur.executemany("SELEC 7", [])
        with cur.copy("SELEC 8") as cp:
            pass
    conn.execute("SELEC 9")


def s(engine):
    with engine.connect() as c:
        c.execute(sa.text("SELEC 10"))
        c.exec_driver_sql("SELEC 11")


def d():
    User.objects.raw("SELEC 12")
    with connection.cursor() as cursor:
        cursor.execute("SELEC 13")
    migrations.RunSQL("SELEC 14", reverse_sql="SELEC 15")


def upgrade():
    op.execute("SELEC 16")
    op.get_bind().execute(sa.text("SELEC 17"))
    mydb.run("SELEC 18")
"""


def test_every_sink_is_read_with_its_driver():
    got = [(s.sink, s.driver, s.certain, s.role, s.sql) for s in sites(SINKS, ("mydb.run",))]
    want_drivers = (["asyncpg"] * 5 + ["psycopg"] * 4 + ["sqlalchemy"] * 2 + ["django"] + ["psycopg"]
                    + ["django"] * 2 + ["alembic", "sqlalchemy", "generic"])
    assert [g[4].split()[1] for g in got] == [str(n) for n in range(1, 19)]
    assert [g[1] for g in got] == want_drivers
    assert [g[0] for g in got] == [
        "conn.fetch", "conn.fetchrow", "conn.fetchval", "conn.execute", "conn.executemany", "cur.execute",
        "cur.executemany", "cur.copy", "conn.execute", "text", "exec_driver_sql", "raw", "cursor.execute", "RunSQL",
        "RunSQL", "op.execute", "op.get_bind().execute(text())", "mydb.run"]
    assert all(g[2] for g in got)
    assert [g[3] for g in got].count("reverse") == 1  # RunSQL's reverse_sql


def test_every_sink_reports_its_syntax_error_at_the_exact_place():
    diags = lint_py(SINKS, python_sinks=["mydb.run"])
    assert [d.rule for d in diags] == ["syntax-error"] * 18
    for n, d in enumerate(diags, 1):
        line, col = at(SINKS, f'"SELEC {n}')
        assert (d.line, d.column) == (line, col + 1), (n, d.line, d.column)


def test_without_python_sinks_the_custom_call_is_not_read():
    assert "mydb.run" not in [s.sink for s in sites(SINKS)]


def test_uncertain_execute_needs_sql_and_never_gives_syntax_errors():
    code = """
    import psycopg

    def deploy(runner, jobs):
        runner.execute("make build")          # not SQL: no site
        jobs.execute("delete old builds")     # starts like SQL, does not parse: left out
        jobs.execute("SELECT * FROM t")       # parses: linted
    """
    ss = sites(code)
    assert [(s.sql, s.certain) for s in ss] == [("delete old builds", False), ("SELECT * FROM t", False)]
    diags = lint_py(code)
    assert [d.rule for d in diags] == ["select-star"]
    res = _result(code)
    assert any("not analysed" in n for n in res.notes)


@pytest.mark.parametrize("module", ["sqlite3", "pymysql", "MySQLdb", "oracledb"])
def test_other_databases_code_is_not_postgresql(module):
    code = f"""
    import {module}

    def f(cur):
        cur.execute("INSERT OR REPLACE INTO t VALUES (?)", (1,))
        cur.execute("SELECT * FROM t LIMIT 1, 2")
    """
    assert sites(code) == []
    assert lint_py(code) == []


def test_a_thread_pool_and_subprocess_are_not_sinks():
    code = """
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    def f(items):
        with ThreadPoolExecutor() as executor:
            executor.map(print, items)
            executor.submit(print, "DELETE everything")
        subprocess.run(["psql", "-c", "SELECT 1"])
    """
    assert sites(code) == []


# -- resolving strings and exact positions -----------------------------------------------------

POSITIONS = '''
import psycopg

PREFIX = "SELECT id "   # a module constant
QUERY = (PREFIX +
         "FROM users "  # a comment between the parts
         'WHERE name = %s AND note = \\'caf\\u00e9\\' '
         """AND x = 1 AND
            y = 2""")
RAW = r"SELECT '\\d' FROM t"


def f(cur, name, é):
    cur.execute(QUERY, (name,))
    cur.execute(RAW)
    cur.execute(f"SELECT {{1}}::text, \\x41\\N{BULLET} FROM t WHERE a = {é}")
    q = "SELECT 1 " "FROM t"
    cur.execute(q)
'''


def test_every_character_maps_back_to_where_it_is_written():
    text = py(POSITIONS)
    for s in read_module(text, "app.py").sites:
        assert len(s.offsets) == len(s.sql) + 1
        for i, ch in enumerate(s.raw):
            if any(a <= i < b for a, b in s.placeholders):
                continue
            src = text[s.py_offset(i)]
            if src == "\\" and ch != "\\":
                continue  # an escape: the character maps to its backslash
            if ch == "_" and src in "{}é_":  # a stand-in for a replacement field
                continue
            assert src == ch or (ch in "{}" and src in "{}"), (s.raw, i, ch, src)


def test_resolved_text_of_constants_concatenation_and_escapes():
    ss = read_module(py(POSITIONS), "app.py").sites
    assert ss[0].raw == ("SELECT id FROM users WHERE name = %s AND note = 'café' AND x = 1 AND\n"
                         "            y = 2")
    assert ss[0].constant and ss[0].sql.count("$1") == 1
    assert ss[1].raw == "SELECT '\\d' FROM t"
    assert ss[2].raw.startswith("SELECT {1}::text, A\u2022 FROM t WHERE a = ")
    assert not ss[2].constant and [d.kind for d in ss[2].dynamic] == ["f-string"]
    assert ss[3].raw == "SELECT 1 FROM t" and ss[3].constant


def test_a_finding_inside_a_triple_quoted_part_points_at_its_line_and_column():
    code = '''
    import psycopg

    def f(cur):
        cur.execute("""
            SELECT id
              FROM users
             WHERE name = %(name)s
               AND deleted = NULL
        """, {"name": "x"})
    '''
    diags = lint_py(code)
    assert [d.rule for d in diags] == ["null-comparison"]
    line, col = at(code, "deleted = NULL")
    assert (diags[0].line, diags[0].column) == (line, col)


def test_a_finding_after_escapes_and_non_ascii_on_the_line():
    code = '''
    import psycopg

    def f(cur, é):
        cur.execute("SELECT 'é\\t\\u00e9', * FROM t WHERE x = NULL", (é,))
    '''
    diags = lint_py(code)
    by = {d.rule: d for d in diags}
    line, col = at(code, "x = NULL")
    assert (by["null-comparison"].line, by["null-comparison"].column) == (line, col)
    assert by["null-comparison"].end_column == col + len("x = NULL")
    line, col = at(code, "* FROM")
    assert (by["select-star"].line, by["select-star"].column) == (line, col)


def test_f_string_literal_parts_map_exactly():
    code = '''
    import psycopg

    LIMIT = 10

    def f(cur):
        cur.execute(f"SELECT a FROM t WHERE b = {LIMIT} AND c = NULL")
    '''
    diags = lint_py(code)
    assert [d.rule for d in diags] == ["null-comparison"]  # a constant field: no injection
    line, col = at(code, "c = NULL")
    assert (diags[0].line, diags[0].column) == (line, col)


def test_a_statement_in_a_module_constant_points_at_the_constant():
    code = '''
    import psycopg

    DELETE_ALL = "DELETE FROM sessions"

    def purge(cur):
        cur.execute(DELETE_ALL)
    '''
    diags = lint_py(code)
    assert [d.rule for d in diags] == ["delete-without-where"]
    assert diags[0].line == at(code, "DELETE FROM")[0]


def test_statements_of_several_sites_share_one_schema_model():
    code = '''
    import psycopg

    def f(cur):
        cur.execute("CREATE TABLE t (id int)")
        cur.execute("INSERT INTO t VALUES (1)")
    '''
    # application code: the query rules only (insert-without-columns is opt-in)
    diags = lint_py(code, extend_select=["insert-without-columns"])
    assert [d.rule for d in diags] == ["insert-without-columns"]


def test_migration_rules_do_not_run_in_application_code():
    code = '''
    import psycopg

    def f(cur):
        cur.execute("CREATE INDEX i ON t (a)")
        cur.execute("ALTER TABLE t ADD COLUMN c int NOT NULL")
    '''
    assert rules(code) == []


def test_migration_rules_run_in_an_alembic_migration():
    code = '''
    from alembic import op

    revision = "b2"
    down_revision = "a1"

    def upgrade():
        op.execute("CREATE INDEX i ON t (a)")
    '''
    mod = read_module(py(code), "versions/b2.py")
    assert mod.migration == "alembic" and mod.sites[0].function == "upgrade"
    assert "index-not-concurrent" in rules(code)


def test_django_migration_is_recognised():
    code = '''
    from django.db import migrations

    class Migration(migrations.Migration):
        dependencies = [("app", "0001_initial")]
        operations = [migrations.RunSQL("UPDATE t SET a = 1", reverse_sql="UPDATE t SET a = 0")]
    '''
    mod = read_module(py(code), "0002.py")
    assert mod.migration == "django"
    assert [(s.role, s.sql) for s in mod.sites] == [("forward", "UPDATE t SET a = 1"),
                                                    ("reverse", "UPDATE t SET a = 0")]


def test_not_python_gives_a_note_not_a_traceback():
    res = _result("def f(:\n    pass\n")
    assert res.diagnostics == [] and res.notes and "not valid Python" in res.notes[0]


def _result(code: str):
    from pglint.config.settings import settings_from_table
    from pglint.engine.runner import lint_text

    settings, _ = settings_from_table({"python": True}, "<test>", ".")
    return lint_text(py(code), "app.py", settings)


# -- placeholders ----------------------------------------------------------------------------


@pytest.mark.parametrize("driver,sql,want", [
    ("psycopg", "SELECT a FROM t WHERE a = %s AND b = %(name)s", "SELECT a FROM t WHERE a = $1 AND b = $1      "),
    ("psycopg", "SELECT 'a%%b', 5 %% 2, '%s' FROM t", "SELECT 'a%%b', 5 %% 2, '%s' FROM t"),
    ("asyncpg", "SELECT a FROM t WHERE a = $1", "SELECT a FROM t WHERE a = $1"),
    ("sqlalchemy", "SELECT a::int FROM t WHERE a = :id AND b = :name", "SELECT a::int FROM t WHERE a = $1  AND b = $1   "),
    ("generic", "SELECT a FROM t WHERE a = ? AND j ? 'k'", "SELECT a FROM t WHERE a = 0 AND j ? 'k'"),
    ("sqlalchemy", "SELECT ':x' /* :y */ -- :z", "SELECT ':x' /* :y */ -- :z"),
])
def test_placeholders_become_same_length_parameters(driver, sql, want):
    out, spans = substitute(sql, driver)
    assert out == want and len(out) == len(sql)


def test_placeholders_are_not_syntax_errors():
    code = '''
    import psycopg
    import sqlalchemy as sa

    def f(cur, conn):
        cur.execute("SELECT a FROM t WHERE a = %s AND b = %(b)s AND c LIKE 'x%%'", {"b": 1})
        cur.execute("INSERT INTO t (a, b) VALUES (%s, %s)", (1, 2))
        conn.execute(sa.text("UPDATE t SET a = :a WHERE id = :id"), {"a": 1, "id": 2})
        cur.execute("SELECT a FROM t WHERE j ?| array['x'] AND a = %s", (1,))
    '''
    assert rules(code) == []


# -- sql-injection-python ------------------------------------------------------------------------


@pytest.mark.parametrize("expr,kind", [
    ('f"SELECT a FROM t WHERE id = {uid}"', "f-string"),
    ('"SELECT a FROM t WHERE id = %s" % uid', "% formatting"),
    ('"SELECT a FROM t WHERE id = {}".format(uid)', ".format()"),
    ('"SELECT a FROM t WHERE id = " + uid', "+ concatenation"),
    ('"SELECT a FROM t WHERE id IN (" + ", ".join(uids) + ")"', "join()"),
])
def test_injection_is_flagged(expr, kind):
    code = f'''
    import psycopg

    def f(cur, uid, uids):
        cur.execute({expr})
    '''
    diags = [d for d in lint_py(code) if d.rule == "sql-injection-python"]
    assert len(diags) == 1, lint_py(code)
    assert kind in diags[0].message and "cur.execute (psycopg)" in diags[0].message
    assert "%s" in diags[0].help


def test_injection_through_a_local_variable_points_at_the_value():
    code = '''
    import psycopg

    def f(cur, table):
        q = f"SELECT a FROM {table}"
        cur.execute(q)
    '''
    diags = lint_py(code)
    assert [d.rule for d in diags] == ["sql-injection-python"]
    line, col = at(code, "table}")
    assert (diags[0].line, diags[0].column) == (line, col)


@pytest.mark.parametrize("driver_import,call,form", [
    ("import asyncpg", 'await conn.fetch(f"SELECT a FROM t WHERE id = {uid}")', "$1"),
    ("from sqlalchemy import text", 'conn.execute(text(f"SELECT a FROM t WHERE id = {uid}"))', ":uid"),
    ("from django.db import connection", 'connection.cursor().execute(f"SELECT a FROM t WHERE id = {uid}")', "[uid]"),
    ("from django.db import connection", 'connection.cursor().execute(f"SELECT a FROM {uid}")', "[user_id]"),
])
def test_injection_help_shows_the_drivers_parameters(driver_import, call, form):
    code = f'''
    {driver_import}

    async def f(conn, uid):
        {call}
    '''
    diags = [d for d in lint_py(code) if d.rule == "sql-injection-python"]
    assert len(diags) == 1 and form in diags[0].help


def test_not_injection():
    code = '''
    import psycopg
    from psycopg import sql

    COLUMNS = "id, name"
    TABLE = "users"

    def f(cur, uid, ids, table, query):
        cur.execute("SELECT a FROM t WHERE id = %s", (uid,))
        cur.execute(sql.SQL("SELECT a FROM {} WHERE id = %s").format(sql.Identifier(table)), (uid,))
        cur.execute(sql.SQL("SELECT {} FROM t").format(sql.SQL(", ").join([sql.Identifier("a"), sql.Identifier("b")])))
        cur.execute(f"SELECT {COLUMNS} FROM {TABLE}")
        cur.execute("SELECT " + COLUMNS + " FROM t")
        cur.execute(f"SELECT a FROM t WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
        cur.execute(f"SELECT a FROM t LIMIT {int(uid)}")
        cur.execute(f"SELECT a FROM t LIMIT {uid:d} OFFSET {uid:.0f}")
        cur.execute(f"SELECT a FROM t WHERE id IN ({('%s, ' * len(ids))[:-2]})", ids)
        cur.execute(f"SELECT a FROM {sql.Identifier(table).as_string(cur)}")
        cur.execute("SELECT a FROM " + psycopg2.extensions.quote_ident(table, cur))
        cur.execute(query)
    '''
    assert "sql-injection-python" not in rules(code)


def test_injection_at_an_uncertain_sink_needs_sql_text():
    code = '''
    def f(bus, topic):
        bus.execute(f"publish {topic}")
        bus.execute(f"DELETE FROM t WHERE topic = '{topic}'")
    '''
    diags = lint_py(code)
    assert [d.rule for d in diags] == ["sql-injection-python"]
    assert diags[0].line == 3 and "(generic)" in diags[0].message


# -- query-in-loop ------------------------------------------------------------------------------


def test_query_in_loop_is_flagged_in_for_loops_and_comprehensions():
    code = '''
    import psycopg
    import asyncpg

    def f(cur, ids):
        for user_id in ids:
            cur.execute("UPDATE users SET active = false WHERE id = %s", (user_id,))
        rows = [cur.execute("SELECT name FROM users WHERE id = %s", (i,)).fetchone() for i in ids]

    async def g(conn, rows):
        for a, b in rows:
            await conn.execute("INSERT INTO t (a, b) VALUES ($1, $2)", a, b)
    '''
    diags = [d for d in lint_py(code) if d.rule == "query-in-loop"]
    assert [(d.line, d.column) for d in diags] == [(6, 9), (7, 13), (11, 15)]
    assert "UPDATE" in diags[0].message and "for loop at line 5" in diags[0].message
    assert "ANY(%s)" in diags[0].help
    assert "comprehension" in diags[1].message
    assert "executemany" in diags[2].help and "copy_records_to_table" in diags[2].help


def test_query_in_loop_guards():
    code = '''
    import time
    import psycopg

    STATEMENTS = ["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"]

    def f(cur, ids):
        while True:                                   # a poll
            cur.execute("SELECT count(*) FROM jobs WHERE state = %s", ("new",))
            time.sleep(1)
        for attempt in range(3):                      # a retry: same values every time
            try:
                cur.execute("SELECT pg_advisory_lock(%s)", (42,))
                break
            except psycopg.OperationalError:
                pass
        for stmt in STATEMENTS:                       # different statements
            cur.execute(stmt)
        cur.executemany("INSERT INTO t (a) VALUES (%s)", [(i,) for i in ids])
        for i in ids:
            cur.execute("CREATE TABLE IF NOT EXISTS t (a int)")   # no per-item values
        for batch in chunks(ids, 1000):               # batches: already the bulk form
            cur.execute("DELETE FROM t WHERE id = ANY(%s)", (batch,))
        for status in ("new", "held"):                # a few fixed items
            cur.execute("SELECT count(*) FROM t WHERE status = %s", (status,))
    '''
    assert "query-in-loop" not in rules(code)


# -- suppressions -------------------------------------------------------------------------------


def test_python_comment_suppresses_on_the_line_and_above():
    code = '''
    import psycopg

    def f(cur, table, other):
        cur.execute(f"SELECT a FROM {table}")  # pglint: ignore[sql-injection-python] table is checked
        # pglint: ignore[PG507] allow-listed
        cur.execute(
            f"SELECT a FROM {other}"
        )
        cur.execute(f"SELECT b FROM {other}")
    '''
    diags = lint_py(code)
    assert [(d.rule, d.line) for d in diags] == [("sql-injection-python", 9)]


def test_unused_python_suppression_is_reported():
    code = '''
    import psycopg

    def f(cur):
        cur.execute("SELECT a FROM t")  # pglint: ignore[sql-injection-python]
    '''
    diags = lint_py(code)
    assert [d.rule for d in diags] == ["unused-suppression"]
    line, col = at(code, "# pglint")
    assert (diags[0].line, diags[0].column) == (line, col)


def test_ignore_file_in_python():
    code = '''
    # pglint: ignore-file[select-star]
    import psycopg

    def f(cur):
        cur.execute("SELECT * FROM t")
        cur.execute("SELECT * FROM u")
    '''
    assert rules(code) == []


def test_sql_comment_inside_the_string_suppresses_too():
    code = '''
    import psycopg

    def f(cur):
        cur.execute("""
            -- pglint: ignore[select-star]
            SELECT * FROM t
        """)
    '''
    assert rules(code) == []


# -- the CLI, reports, LSP -----------------------------------------------------------------------


def _project(tmp_path: Path) -> Path:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "001_init.sql").write_text("CREATE TABLE t (id int);\nSELECT * FROM t;\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "queries.py").write_text(py('''
        import psycopg

        def find(cur, uid):
            cur.execute(f"SELECT id FROM t WHERE id = {uid}")
    '''))
    return tmp_path


def _run(exe, *args, cwd):
    return subprocess.run([exe, "--no-cache", "--isolated", *args], capture_output=True, text=True, cwd=cwd)


def test_directory_with_python_files_is_unchanged_without_the_option(tmp_path, pglint_exe):
    proj = _project(tmp_path)
    with_py = _run(pglint_exe, "--format", "json", ".", cwd=proj)
    (proj / "app" / "queries.py").unlink()
    without = _run(pglint_exe, "--format", "json", ".", cwd=proj)
    assert with_py.returncode == without.returncode and with_py.stderr == without.stderr
    a, b = json.loads(with_py.stdout), json.loads(without.stdout)
    a.pop("elapsed", None), b.pop("elapsed", None)
    assert a["diagnostics"] == b["diagnostics"] and a["summary"]["files"] == b["summary"]["files"]


def test_python_option_and_json_output(tmp_path, pglint_exe):
    proj = _project(tmp_path)
    out = _run(pglint_exe, "--python", "--format", "json", ".", cwd=proj)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    py_diags = [d for d in doc["diagnostics"] if d["path"].endswith("queries.py")]
    assert [(d["rule"], d["code"], d["line"], d["column"]) for d in py_diags] == \
        [("sql-injection-python", "PG507", 4, 48)]
    assert py_diags[0]["severity"] == "error" and "%s" in py_diags[0]["help"]
    # the config key does the same
    (proj / "pglint.toml").write_text('python = true\n')
    out2 = subprocess.run([pglint_exe, "--no-cache", "--format", "json", "."], capture_output=True, text=True,
                          cwd=proj)
    assert [d["rule"] for d in json.loads(out2.stdout)["diagnostics"] if d["path"].endswith(".py")] == \
        ["sql-injection-python"]


def test_a_python_file_named_explicitly_is_linted_as_python(tmp_path, pglint_exe):
    proj = _project(tmp_path)
    out = _run(pglint_exe, "--format", "json", "app/queries.py", cwd=proj)
    doc = json.loads(out.stdout)
    assert [d["rule"] for d in doc["diagnostics"]] == ["sql-injection-python"]


def test_sarif_output_of_a_python_finding_is_valid(tmp_path, pglint_exe):
    from test_formats import SCHEMA_PATH, assert_valid_sarif

    if not SCHEMA_PATH.is_file():
        pytest.skip("SARIF schema not present")
    import jsonschema

    validator = jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    proj = _project(tmp_path)
    out = _run(pglint_exe, "--python", "--format", "sarif", "app/queries.py", cwd=proj)
    doc = json.loads(out.stdout)
    assert_valid_sarif(validator, doc)
    res = doc["runs"][0]["results"]
    assert [r["ruleId"] for r in res] == ["sql-injection-python"]
    region = res[0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (4, 48)
    assert res[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("app/queries.py")


def test_bad_python_sinks_setting_is_a_config_error(tmp_path, pglint_exe):
    (tmp_path / "pglint.toml").write_text('python-sinks = ["not a name"]\n')
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    out = subprocess.run([pglint_exe, "--no-cache", "a.sql"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and "python-sinks" in out.stderr


def test_lsp_lints_python_documents_when_enabled(tmp_path):
    from pglint.lsp.lint import lint_document

    code = py('''
        import psycopg

        def f(cur, uid):
            cur.execute(f"SELECT id FROM t WHERE id = {uid}")
    ''')
    path = tmp_path / "app.py"
    path.write_text(code)
    assert lint_document(code, 1, str(path)).diagnostics == []  # option off
    (tmp_path / "pglint.toml").write_text("python = true\n")
    got = lint_document(code, 1, str(path))
    assert got.problem is None
    assert [(d.rule, d.line, d.column) for d in got.diagnostics] == [("sql-injection-python", 4, 48)]


def test_add_ignore_writes_python_comments_that_silence_the_findings(tmp_path, pglint_exe):
    proj = _project(tmp_path)
    mod = proj / "app" / "more.py"
    mod.write_text(py('''
        import psycopg

        DELETE_ALL = "DELETE FROM sessions"

        def f(cur, ids, table):
            for i in ids:
                cur.execute(
                    "UPDATE t SET a = 1 WHERE id = %s", (i,))
            cur.execute(DELETE_ALL)
    '''))
    before = _run(pglint_exe, "--python", "--format", "json", "app", cwd=proj)
    assert sorted(d["rule"] for d in json.loads(before.stdout)["diagnostics"]) == \
        ["delete-without-where", "query-in-loop", "sql-injection-python"]
    added = _run(pglint_exe, "--python", "--add-ignore", "app", cwd=proj)
    assert added.returncode == 0, added.stderr
    text = mod.read_text()
    assert "    # pglint: ignore[delete-without-where] TODO: give the reason\nDELETE_ALL" not in text
    assert "# pglint: ignore[delete-without-where] TODO: give the reason\nDELETE_ALL" in text
    assert "        # pglint: ignore[query-in-loop] TODO: give the reason\n        cur.execute(\n" in text
    compile(text, "more.py", "exec")  # still Python
    after = _run(pglint_exe, "--python", "--format", "json", "app", cwd=proj)
    assert json.loads(after.stdout)["diagnostics"] == [], after.stdout


def test_lsp_offers_a_python_ignore_comment(tmp_path):
    from pglint.lsp.actions import code_actions
    from pglint.lsp.lint import lint_document

    (tmp_path / "pglint.toml").write_text("python = true\n")
    code = py('''
        import psycopg

        def f(cur, uid):
            cur.execute(f"SELECT id FROM t WHERE id = {uid}")
    ''')
    path = tmp_path / "app.py"
    path.write_text(code)
    linted = lint_document(code, 1, str(path))
    d = linted.diagnostics[0]
    actions = [a for a in code_actions(linted, d.start, d.end) if "statement" in a.title]
    assert len(actions) == 1
    (s, e, new), = actions[0].edits
    fixed = code[:s] + new + code[e:]
    assert "    # pglint: ignore[sql-injection-python] TODO: give the reason\n    cur.execute" in fixed
    assert lint_document(fixed, 2, str(path)).diagnostics == []


@pytest.mark.parametrize("code", [
    "import psycopg\ndef f(cur):\n    cur.execute(" + " + ".join(['"SELECT 1"'] * 3000) + ")\n",
    "import psycopg\ndef f(cur):\n    cur.execute(" + "(" * 150 + '"SELECT 1"' + ")" * 150 + ")\n",
    "import psycopg\ndef f(cur):\n    cur.execute(" + "[" * 5000 + "]" * 5000 + ")\n",
    "import psycopg\ndef f(cur):\n    cur.execute('SELECT 1 \\\n    ')\n",
    "import psycopg\r\ndef f(cur):\r\n    cur.execute('SELECT \x0c\u2028 1 FROM t WHERE a = NULL')\r\n",
    "import psycopg\ndef f(cur, x):\n    cur.execute(b'SELECT %s FROM t', (x,))\n    cur.execute(f'{x!r:>{x}}')\n",
    "import psycopg\ndef f(cur, x):\n    cur.execute(f\"SELECT {x['a']} FROM t WHERE b = {{1}}\")\n",
    "import psycopg\ndef f(cur):\n    cur.execute()\n    cur.execute(*args)\n    cur.execute(query=None)\n",
    "\ufeffimport psycopg\nQ = Q\ndef f(cur):\n    cur.execute(Q)\n",
    "import psycopg\nA = B\nB = A\ndef f(cur):\n    cur.execute(A + B)\n",
])
def test_hostile_python_never_raises(code):
    from pglint.config.settings import settings_from_table
    from pglint.engine.runner import lint_text

    settings, _ = settings_from_table({"python": True}, "<test>", ".")
    res = lint_text(code, "app.py", settings)
    for d in res.diagnostics:
        assert d.line >= 1 and d.column >= 1


def test_crlf_and_form_feed_keep_positions():
    code = "import psycopg\r\ndef f(cur):\r\n    cur.execute('SELECT \x0c\u2028 a FROM t WHERE a = NULL')\r\n"
    diags = lint(code, "app.py", python=True)
    assert [(d.rule, d.line, d.column) for d in diags] == [("null-comparison", 3, code.split("\r\n")[2].index("a = NULL") + 1)]


def test_messages_show_non_constant_parts_as_written():
    code = '''
    import psycopg

    def f(cur, db, pw):
        cur.execute(f"GRANT SELECT ON TABLE {db.name} TO PUBLIC")
        cur.execute(f"CREATE ROLE app LOGIN PASSWORD '{pw}'")
    '''
    diags = lint_py(code)
    grant = [d for d in diags if d.rule == "grant-to-public"]
    assert len(grant) == 1 and "{db.name}" in grant[0].message
    # a password from a variable is not a password written in the source
    assert "password-in-source" not in [d.rule for d in diags]
    assert sites(code)[0].written == "GRANT SELECT ON TABLE {db.name} TO PUBLIC"
    assert sites(code)[0].stand_ins == [(22, 31)]


def test_class_constants_and_dedent_are_followed():
    code = '''
    import textwrap
    import psycopg


    class Repo:
        TABLE = "users"
        FIND = "SELECT id FROM users WHERE id = %s"

        def find(self, uid):
            self.cur.execute(self.FIND, (uid,))
            self.cur.execute(f"SELECT id FROM {self.TABLE} WHERE a = NULL")
            self.cur.execute(textwrap.dedent("""
                DELETE FROM users
            """))
    '''
    ss = sites(code)
    assert [s.constant for s in ss] == [True, True, True]
    assert ss[1].sql == "SELECT id FROM users WHERE a = NULL"
    diags = lint_py(code)
    assert sorted((d.rule, d.line) for d in diags) == [("delete-without-where", 13), ("null-comparison", 11)]
    assert [d.column for d in diags if d.rule == "delete-without-where"] == [at(code, "users\n")[1]]


def test_reverse_sql_is_linted_as_a_rollback():
    code = '''
    from django.db import migrations

    class Migration(migrations.Migration):
        operations = [
            migrations.RunSQL("CREATE TABLE audit (id bigint PRIMARY KEY)", reverse_sql="DROP TABLE audit"),
        ]
    '''
    diags = lint_py(code)
    drops = [d for d in diags if d.rule == "drop-table"]
    assert len(drops) == 1 and drops[0].rollback and drops[0].severity == "info"


def test_lint_python_takes_sites_built_by_the_caller():
    """The hook the Alembic/Django support uses: a Site for the DDL an op.* call emits,
    linted with the module's own sites against a schema model that persists."""
    import ast

    from pglint.config.settings import settings_from_table
    from pglint.engine.runner import make_dispatch, make_options
    from pglint.model.schema import SchemaModel
    from pglint.python.lint import lint_python
    from pglint.python.reader import Site
    from pglint.source.text import SourceText

    code = py('''
        from alembic import op

        revision = "b2"
        down_revision = "a1"

        def upgrade():
            op.create_index("i", "t", ["a"])
    ''')
    mod = read_module(code, "versions/b2.py")
    call = next(n for n in ast.walk(mod.tree) if isinstance(n, ast.Call))
    start, end = mod.span(call)
    ddl = "CREATE INDEX i ON t (a)"
    site = Site("op.create_index", "alembic", True, call, call, start, end, sql=ddl, raw=ddl,
                offsets=[start] * len(ddl) + [end], constant=True)
    settings, _ = settings_from_table({"python": True}, "<test>", ".")
    opts = make_options(settings)
    model = SchemaModel()
    lint_python(SourceText("a1.py", "import psycopg\n"), opts, make_dispatch(opts), "a1.py", schema=model)
    res = lint_python(SourceText("versions/b2.py", code), opts, make_dispatch(opts), "versions/b2.py",
                      schema=model, mod=mod, sites=mod.sites + [site], migration=True)
    assert ("index-not-concurrent", 7, 5) in [(d.rule, d.line, d.column) for d in res.diagnostics]


@pytest.mark.parametrize("driver_import,call,want", [
    ("import psycopg", 'cur.execute(f"SELECT a FROM t WHERE id = {uid} AND name = \'{name}\'")',
     'cur.execute("SELECT a FROM t WHERE id = %s AND name = %s", (uid, name))'),
    ("import asyncpg", 'await conn.fetch("SELECT a FROM t WHERE id = " + str(uid))',
     'await conn.fetch("SELECT a FROM t WHERE id = $1", str(uid))'),
    ("from sqlalchemy import text", 'conn.execute(text(f"SELECT a FROM t WHERE id = {uid}"))',
     'text("SELECT a FROM t WHERE id = :uid") with {"uid": uid}'),
    ("from django.db import connection", 'connection.cursor().execute(f"DELETE FROM t WHERE id = {uid}")',
     'cursor().execute("DELETE FROM t WHERE id = %s", [uid])'),
])
def test_injection_help_rewrites_the_call_with_parameters(driver_import, call, want):
    code = f'''
    {driver_import}

    async def f(cur, conn, uid, name):
        {call}
    '''
    diags = [d for d in lint_py(code) if d.rule == "sql-injection-python"]
    assert len(diags) == 1 and want in diags[0].help, diags[0].help


def test_injection_help_does_not_turn_a_name_into_a_parameter():
    code = '''
    import psycopg

    def f(cur, table, uid):
        cur.execute(f"SELECT a FROM {table} WHERE id = {uid}")
    '''
    diags = [d for d in lint_py(code) if d.rule == "sql-injection-python"]
    assert "FROM %s" not in diags[0].help and "sql.Identifier" in diags[0].help


from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

_ALPHABET = st.sampled_from(list("SELECT ab1;'\"\\\n\t\r{}%$:?é€\x00\x0c\u2028😀"))


def _as_literal(piece: str, kind: int) -> str:
    if kind == 0:
        return repr(piece)
    if kind == 1:  # an f-string: braces doubled, the rest as repr writes it
        return "f" + repr(piece).replace("{", "{{").replace("}", "}}")
    if kind == 2 and "'''" not in piece and not piece.endswith("'") and "\\" not in piece and "\r" not in piece \
            and "\x00" not in piece:
        return "'''" + piece + "'''"
    if kind == 3 and piece and "\\" not in piece and "'" not in piece and "\n" not in piece and "\r" not in piece \
            and "\x0c" not in piece and "\u2028" not in piece and "\x00" not in piece:
        return "r'" + piece + "'"
    return repr(piece)


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text(_ALPHABET, max_size=12), st.integers(0, 3)), min_size=1, max_size=4),
       st.sampled_from([" ", "\n    ", " # c\n    ", " \\\n    "]))
def test_offsets_of_any_literal_point_at_the_character_or_its_escape(pieces, sep):
    """Any string, written as repr, f-string, triple-quoted or raw pieces implicitly
    concatenated: the resolved text is the value, and each character's offset is where it is
    written (itself, or the backslash of its escape), in increasing order."""
    literal = sep.join(_as_literal(p, k) for p, k in pieces)
    code = f"import psycopg\n\ndef f(cur):\n    cur.execute(\n    {literal})\n"
    value = "".join(p for p, _ in pieces)
    mod = read_module(code, "app.py")
    assert mod.error is None, (code, mod.error)
    (site,) = mod.sites
    assert site.raw == value
    offs = site.offsets[:len(value)]
    assert offs == sorted(offs) and len(set(offs)) == len(offs)
    for i, ch in enumerate(value):
        src = code[offs[i]]
        assert src == ch or src == "\\", (code, i, ch, src)


def test_conditions_joined_from_constant_pieces_are_not_injection():
    code = '''
    import psycopg

    def search(cur, name=None, min_age=None, order=None):
        conds = ["deleted_at IS NULL"]
        params = []
        if name:
            conds.append("name = %s")
            params.append(name)
        if min_age:
            conds += ["age >= %s"]
            params.append(min_age)
        cur.execute("SELECT id FROM users WHERE " + " AND ".join(conds), params)
        where = " AND ".join(conds)
        cur.execute(f"SELECT id FROM users WHERE {where}", params)

    def bad(cur, column):
        conds = []
        conds.append(f"{column} = 1")
        cur.execute("SELECT id FROM users WHERE " + " AND ".join(conds))
    '''
    diags = [d for d in lint_py(code) if d.rule == "sql-injection-python"]
    assert [d.line for d in diags] == [19]


def test_cached_python_results_are_the_same(tmp_path, pglint_exe):
    proj = _project(tmp_path)
    runs = [subprocess.run([pglint_exe, "--isolated", "--python", "--format", "json", "."], capture_output=True,
                           text=True, cwd=proj) for _ in range(2)]
    docs = [json.loads(r.stdout)["diagnostics"] for r in runs]
    assert docs[0] == docs[1] and any(d["rule"] == "sql-injection-python" for d in docs[0])
    assert (proj / ".pglint_cache").exists()
    # the python option is part of the cache key: without it the .py file is not linted
    off = subprocess.run([pglint_exe, "--isolated", "--format", "json", "."], capture_output=True, text=True, cwd=proj)
    assert not any(d["path"].endswith(".py") for d in json.loads(off.stdout)["diagnostics"])


def test_percent_formatting_with_constants_is_not_a_syntax_error():
    code = '''
    import psycopg

    TABLE = "users"

    def f(cur):
        cur.execute("SELECT id FROM %s WHERE a = NULL" % TABLE)
        cur.execute("SELECT id FROM %(t)s WHERE b LIKE 'x%%'" % {"t": "users"})
    '''
    ss = sites(code)
    assert [s.sql for s in ss] == ["SELECT id FROM _s WHERE a = NULL", "SELECT id FROM __t_s WHERE b LIKE 'x%%'"]
    assert not any(s.dynamic for s in ss)
    assert rules(code) == ["null-comparison"]

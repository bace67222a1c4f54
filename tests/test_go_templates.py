"""Go text/template migrations that serve several databases (focalboard, Mattermost's morph
and other golang-migrate trees): PostgreSQL receives only the branches a PostgreSQL run takes,
so the MySQL and SQLite branches must raise nothing, and SQL a template function writes is
named in a note, never reported as a syntax error."""

import json
import subprocess

from conftest import lint, pglint_path
from pglint.source.templates import _condition, prepare_go_template

MULTI = """CREATE TABLE IF NOT EXISTS {{.prefix}}users (
    id VARCHAR(100) PRIMARY KEY,
    props {{if .postgres}}JSONB{{else}}TEXT{{end}}
) {{if .mysql}}DEFAULT CHARACTER SET utf8mb4{{end}};

{{- /* SQLite cannot alter a column: it copies the table */ -}}
{{if .sqlite}}
ALTER TABLE {{.prefix}}users RENAME TO {{.prefix}}users_old;
{{else if .mysql}}
ALTER TABLE {{.prefix}}users MODIFY props TEXT NOT NULL;
{{else}}
ALTER TABLE {{.prefix}}users ALTER COLUMN props SET DEFAULT '{}';
{{end}}
"""


def test_conditions_known_for_postgresql():
    assert _condition(" .postgres") is True
    assert _condition(" .mysql") is False
    assert _condition(" not .sqlite") is True
    assert _condition(" or .mysql .postgres") is True
    assert _condition(" and .mysql .plugin") is False  # false whatever .plugin is
    assert _condition(" and (not .plugin) .postgres") is None  # depends on the run
    assert _condition(" .plugin") is None
    assert _condition(' doesColumnExist "t" "c"') is None
    assert _condition(' not (doesTableExist "t")') is None


def test_only_the_postgresql_branches_are_read():
    text, notes = prepare_go_template(MULTI)
    assert len(text) == len(MULTI) and text.count("\n") == MULTI.count("\n")  # every offset kept
    assert "utf8mb4" not in text and "TEXT" not in text and "RENAME" not in text and "MODIFY" not in text
    assert "JSONB" in text and "SET DEFAULT" in text and "{{if" not in text and "/*" not in text
    assert notes == []
    assert lint(MULTI, "000001_init.up.sql") == []  # no syntax error, no finding of another dialect


def test_a_condition_that_depends_on_the_run_keeps_every_branch():
    sql = "{{if .plugin}}\nUPDATE t SET a = 1;\n{{else}}\nDELETE FROM t;\n{{end}}\n"  # t: an existing table
    text, _ = prepare_go_template(sql)
    assert "UPDATE t SET a = 1;" in text and "DELETE FROM t;" in text and "{{" not in text
    rules = {d.rule for d in lint(sql)}
    assert "syntax-error" not in rules
    assert {"update-without-where", "delete-without-where"} <= rules  # both may run: both are read


def test_sql_written_by_a_template_function_is_a_note(tmp_path):
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "000001_t.up.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);\n", encoding="utf-8")
    (d / "000002_c.up.sql").write_text(
        '{{- /* addColumnIfNeeded tableName columnName datatype constraint */ -}}\n'
        '{{ addColumnIfNeeded "t" "c" "varchar(36)" "" }}\n', encoding="utf-8")
    (d / "000003_n.up.sql").write_text("{{if .postgres}}\nALTER TABLE t ALTER COLUMN c SET NOT NULL;\n{{end}}\n",
                                       encoding="utf-8")
    p = subprocess.run([pglint_path(), "--isolated", "--no-cache", "--format", "json", str(d)],
                       capture_output=True, text=True)
    assert "Traceback" not in p.stderr
    doc = json.loads(p.stdout)
    assert not [x for x in doc["diagnostics"] if x["rule"] == "syntax-error"]
    (note,) = [n for n in doc["notes"] if n["path"].endswith("000002_c.up.sql")]
    assert note["note"] == ('the SQL that the template action {{ addColumnIfNeeded "t" "c" "varchar(36)" "" }} '
                            "writes when the migration runs (line 2)")
    # the column that SQL adds is unknown to pglint: said as a possibility, not as a fact
    (missing,) = [x for x in doc["diagnostics"] if x["rule"] == "missing-object"]
    assert "dynamic SQL in 000002_c.up.sql may" in missing["message"]
    assert "template action" in missing["explanation"]


def test_files_without_go_actions_are_untouched():
    for sql in ("SELECT '{{ name }}';\n", "CREATE TABLE {{ schema }}.t (a int);\n", "SELECT 1;\n"):
        assert prepare_go_template(sql) == (sql, [])


def test_a_table_unseen_sql_may_have_made_is_still_judged(tmp_path):
    """After SQL pglint cannot see (here a template function renaming a table), a table no
    migration creates by name may exist: rules that skip unknown tables of a complete
    history still judge it."""
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "000001_t.up.sql").write_text("CREATE TABLE blocks (id int PRIMARY KEY, at bigint);\n", encoding="utf-8")
    (d / "000002_r.up.sql").write_text('{{ renameTableIfNeeded "blocks" "blocks_history" }}\n', encoding="utf-8")
    (d / "000003_u.up.sql").write_text("UPDATE blocks_history SET at = at * 1000 WHERE at < 1000000000000;\n",
                                       encoding="utf-8")
    p = subprocess.run([pglint_path(), "--isolated", "--no-cache", "--format", "json", str(d)],
                       capture_output=True, text=True)
    rules = {(x["path"].rsplit("/", 1)[-1], x["rule"]) for x in json.loads(p.stdout)["diagnostics"]}
    assert ("000003_u.up.sql", "backfill-in-migration") in rules, rules


def test_hostile_template_text_is_read_in_linear_time_and_keeps_offsets():
    # unclosed comments, deep parentheses, stray braces: no recursion, no quadratic scan
    for text in ("{{/* " * 50000, "{{if " + "(" * 5000 + ".postgres" + ")" * 5000 + "}}x{{end}}",
                 "}}{{ /*" * 50000, "{{end}}{{else}}{{else if .mysql}}" * 5000, "{{" * 100000):
        out, _ = prepare_go_template(text)
        assert len(out) == len(text)
    text, _ = prepare_go_template('a {{- /* c {x} }}\n y */ -}} b {{if .mysql}}x{{end}}')
    comment, block = "{{- /* c {x} }}\n y */ -}}", "{{if .mysql}}x{{end}}"
    assert text == "a " + " " * 15 + "\n" + " " * 9 + " b " + " " * len(block)  # the comment holds braces, a line
    assert len(comment) == 15 + 1 + 9

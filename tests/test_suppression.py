"""Suppression comments silence exactly the rules and statements they name."""

from conftest import lint, rules_of

LT = "SET lock_timeout = '2s';\n"


def test_comment_above_the_statement():
    sql = LT + "-- pglint: ignore[index-not-concurrent] tiny table\nCREATE INDEX IF NOT EXISTS i ON t (a);\nCREATE INDEX IF NOT EXISTS j ON t (b);"
    diags = lint(sql)
    assert [(d.line, d.rule) for d in diags] == [(4, "index-not-concurrent")]


def test_trailing_comment_on_first_line_applies_to_that_statement_not_the_next():
    sql = LT + "CREATE INDEX IF NOT EXISTS i ON t (a); -- pglint: ignore[index-not-concurrent]\nCREATE INDEX IF NOT EXISTS j ON t (b);"
    assert [(d.line, d.rule) for d in lint(sql)] == [(3, "index-not-concurrent")]


def test_codes_and_block_comments_work():
    sql = LT + "/* pglint: ignore[PG101] */\nCREATE INDEX i ON t (a);"
    assert rules_of(sql) == []


def test_other_rules_on_the_same_statement_still_fire():
    sql = "-- pglint: ignore[index-not-concurrent]\nCREATE INDEX i ON t (a);"
    assert rules_of(sql) == ["lock-timeout-missing"]


def test_ignore_file():
    sql = "-- pglint: ignore-file[lock-timeout-missing, index-not-concurrent]\nCREATE INDEX IF NOT EXISTS i ON t (a);\nCREATE INDEX IF NOT EXISTS j ON t (b);"
    assert rules_of(sql) == []


def test_unused_and_unknown_suppressions_are_reported():
    diags = lint(LT + "-- pglint: ignore[index-not-concurrent, made-up-rule]\nSELECT 1;")
    msgs = sorted(d.message for d in diags)
    assert [d.rule for d in diags] == ["unused-suppression", "unused-suppression"]
    assert any("unknown rule 'made-up-rule'" in m for m in msgs)
    assert any("no index-not-concurrent diagnostic" in m for m in msgs)


def test_blanket_ignore_is_rejected():
    diags = lint(LT + "-- pglint: ignore\nCREATE INDEX i ON t (a);")
    assert sorted(d.rule for d in diags) == ["index-not-concurrent", "unused-suppression"]


def test_unused_suppression_of_a_disabled_rule_is_not_reported():
    sql = "-- pglint: ignore[index-not-concurrent]\nSELECT 1;"
    assert rules_of(sql, ignore=["index-not-concurrent"]) == []


def test_suppression_inside_a_function_body_targets_the_embedded_statement():
    sql = LT + """CREATE INDEX IF NOT EXISTS a ON t (x);
DO $$
BEGIN
  -- pglint: ignore[index-not-concurrent] built while the table is empty
  CREATE INDEX b ON t (y);
  CREATE INDEX c ON t (z);
END $$;"""
    assert [d.line for d in lint(sql)] == [2, 7]


def test_suppression_above_a_do_block_covers_its_body():
    sql = LT + "-- pglint: ignore[index-not-concurrent]\nDO $$ BEGIN CREATE INDEX b ON t (y); END $$;"
    assert rules_of(sql) == []


def test_suppression_text_inside_a_string_is_not_a_directive():
    sql = LT + "SELECT '-- pglint: ignore[index-not-concurrent]';\nCREATE INDEX i ON t (a);"
    assert rules_of(sql) == ["index-not-concurrent"]


def test_syntax_errors_can_be_suppressed_only_by_name():
    sql = "-- pglint: ignore[syntax-error] psql test file\nSELECT FROM WHERE;\nSELECT ,;"
    assert [(d.line, d.rule) for d in lint(sql)] == [(3, "syntax-error")]


def test_squawk_compat_is_off_by_default():
    assert rules_of(LT + "-- squawk-ignore require-concurrent-index-creation\nCREATE INDEX i ON t (a);") == [
        "index-not-concurrent"]

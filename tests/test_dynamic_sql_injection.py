"""dynamic-sql-injection: the taint analysis of PL/pgSQL EXECUTE strings."""

import pytest

from conftest import lint

RULE = "dynamic-sql-injection"


def findings(sql: str, **options):
    return [d for d in lint(sql, "dyn.sql", select=[RULE], **options) if d.rule == RULE]


def fn(body: str, params: str = "p text", returns: str = "void", declare: str = "") -> str:
    decl = f"DECLARE\n{declare}\n" if declare else ""
    return (f"CREATE FUNCTION f({params}) RETURNS {returns} LANGUAGE plpgsql AS $$\n{decl}BEGIN\n{body}\nEND\n$$;\n")


def flagged(body: str, **kw) -> bool:
    return bool(findings(fn(body, **kw)))


# -- sources ---------------------------------------------------------------------------


def test_parameter_concatenated():
    (d,) = findings(fn("EXECUTE 'DELETE FROM ' || p;"))
    assert "parameter `p`" in d.message
    assert d.severity == "error"


def test_positional_parameter_and_alias():
    assert flagged("EXECUTE 'DELETE FROM ' || $1;")
    (d,) = findings(fn("EXECUTE 'DELETE FROM ' || tbl;", declare="  tbl ALIAS FOR $1;", params="text"))
    assert "`tbl`" in d.message


def test_out_parameter_is_not_a_source():
    sql = ("CREATE FUNCTION f(OUT o text) LANGUAGE plpgsql AS $$\nBEGIN\n"
           "  EXECUTE 'SELECT ' || o;\nEND\n$$;")
    assert findings(sql) == []


def test_select_into_variable_and_record_field():
    (d,) = findings(fn("SELECT relname INTO v FROM pg_class LIMIT 1;\nEXECUTE 'DROP TABLE ' || v;",
                       declare="  v text;"))
    assert "`v` (read by a query at line 5)" in d.message  # the SELECT ... INTO line
    (d,) = findings(fn("SELECT relname, relkind INTO r FROM pg_class LIMIT 1;\nEXECUTE 'DROP TABLE ' || r.relname;",
                       declare="  r record;"))
    assert "`r.relname`" in d.message


def test_query_results_quoted_in_the_query_are_safe():
    assert not flagged("SELECT quote_ident(relname) INTO v FROM pg_class LIMIT 1;\nEXECUTE 'DROP TABLE ' || v;",
                       declare="  v text;")
    # per field: the quoted field is safe even when another field of the record is not
    body = ("FOR r IN SELECT pg_get_indexdef(indexrelid) AS def, relname FROM pg_index JOIN pg_class c ON true LOOP\n"
            "  EXECUTE r.def || ' -- copy';\n"
            "END LOOP;")
    assert not flagged(body, declare="  r record;")
    assert flagged(body.replace("r.def", "r.relname"), declare="  r record;")


def test_columns_of_subqueries_and_functions_in_from():
    """pg_partman's apply_privileges: the privileges to revoke come from a constant list."""
    body = ("SELECT string_agg(r, ',') INTO v FROM (SELECT unnest(v_all) AS r EXCEPT SELECT unnest(p_have)) x;\n"
            "EXECUTE format('REVOKE %s ON t FROM app', v);")
    decl = "  v text; v_all text[] := ARRAY['SELECT', 'INSERT'];"
    assert not flagged(body, params="p_have text[]", declare=decl)
    assert flagged(body.replace("unnest(v_all) AS r EXCEPT SELECT unnest(p_have)",
                                "unnest(p_have) AS r EXCEPT SELECT unnest(v_all)"), params="p_have text[]", declare=decl)
    assert flagged("SELECT string_agg(c, ',') INTO v FROM unnest(p_cols) AS c;\nEXECUTE 'SELECT ' || v;",
                   params="p_cols text[]", declare="  v text;")
    assert not flagged("SELECT string_agg(c, ',') INTO v FROM unnest(ARRAY['a', 'b']) AS c;\nEXECUTE 'SELECT ' || v;",
                       declare="  v text;")


def test_star_over_subqueries_and_functions_in_from():
    # SELECT * over constants (VALUES, a subquery, unnest of a literal array) expands to those
    # constants; over a parameter, a table, or an output without a name, it stays tainted
    clean = [
        "FOR r IN SELECT * FROM (VALUES ('a'), ('b')) v(tn) LOOP EXECUTE 'TRUNCATE ' || r.tn; END LOOP;",
        "FOR r IN SELECT v.* FROM (VALUES ('a', 1)) v(tn, n) LOOP EXECUTE 'TRUNCATE ' || r.tn; END LOOP;",
        "FOR r IN SELECT * FROM (SELECT 'a' AS tn UNION ALL SELECT 'b') s LOOP EXECUTE 'TRUNCATE ' || r.tn; END LOOP;",
        "FOR r IN SELECT * FROM unnest(ARRAY['a', 'b']) AS u(tn) LOOP EXECUTE 'TRUNCATE ' || r.tn; END LOOP;",
        "SELECT * INTO a, b FROM (SELECT p AS x, 'k' AS y) s; EXECUTE 'TRUNCATE ' || b;",
    ]
    for body in clean:
        assert not flagged(body, declare="  r record; a text; b text;"), body
    tainted = [
        "FOR r IN SELECT * FROM (VALUES ('a', p)) v(x, tn) LOOP EXECUTE 'TRUNCATE ' || r.tn; END LOOP;",
        "FOR r IN SELECT * FROM unnest(ARRAY[p]) AS u(tn) LOOP EXECUTE 'TRUNCATE ' || r.tn; END LOOP;",
        "FOR r IN SELECT * FROM (VALUES ('a')) v(x), pg_tables LOOP EXECUTE 'TRUNCATE ' || r.tablename; END LOOP;",
        "SELECT * INTO a, b FROM (SELECT 'k', p) s; EXECUTE 'TRUNCATE ' || b;",  # ?column? has no name here
        "SELECT * INTO a, b FROM (SELECT 'k' AS x, p AS y) s; EXECUTE 'TRUNCATE ' || b;",
    ]
    for body in tainted:
        assert flagged(body, declare="  r record; a text; b text;"), body


def test_loop_record_and_dynamic_results():
    assert flagged("FOR r IN SELECT tablename FROM pg_tables LOOP\n  EXECUTE 'ANALYZE ' || r.tablename;\nEND LOOP;",
                   declare="  r record;")
    assert flagged("EXECUTE 'SELECT name FROM t LIMIT 1' INTO v;\nEXECUTE 'DROP TABLE ' || v;", declare="  v text;")


def test_subquery_in_the_expression():
    assert flagged("EXECUTE 'SELECT ' || (SELECT string_agg(attname, ',') FROM pg_attribute);")
    assert not flagged("EXECUTE 'SELECT ' || (SELECT string_agg(quote_ident(attname), ',') FROM pg_attribute);")


def test_trigger_row_and_names():
    trig = ("CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  {}\n  RETURN NEW;\nEND\n$$;")
    (d,) = findings(trig.format("EXECUTE 'INSERT INTO log VALUES (''' || NEW.note || ''')';"))
    assert "trigger row" in d.message
    assert findings(trig.format("EXECUTE 'INSERT INTO ' || TG_TABLE_NAME || '_log SELECT $1.*' USING NEW;"))
    assert not findings(trig.format("EXECUTE format('INSERT INTO %I SELECT $1.*', TG_TABLE_NAME || '_log') USING NEW;"))


def test_error_text():
    body = "PERFORM 1 / 0;\nEXCEPTION WHEN others THEN\n  EXECUTE 'INSERT INTO log VALUES (''' || SQLERRM || ''')';"
    assert flagged(body)
    assert not flagged(body.replace("'INSERT INTO log VALUES (''' || SQLERRM || ''')'",
                                    "format('INSERT INTO log VALUES (%L)', SQLERRM)"))


def test_current_setting_in_functions_only():
    assert flagged("EXECUTE 'SET search_path = ' || current_setting('app.path');")
    do = "DO $$\nBEGIN\n  EXECUTE 'CREATE ROLE ' || current_setting('app.role');\nEND\n$$;"
    assert findings(do) == []


# -- safe forms ------------------------------------------------------------------------


@pytest.mark.parametrize("expr", [
    "format('DELETE FROM %I WHERE name = %L', p, p)",
    "format('DELETE FROM %1$I WHERE name = %1$L', p)",
    "format('SELECT ''%%s'', %L', p)",
    "'DELETE FROM ' || quote_ident(p)",
    "'SELECT ' || quote_literal(p) || ', ' || quote_nullable(p)",
    "'SELECT ' || quote_literal(upper(p))",
    "'SELECT ' || lower(quote_ident(p))",
    "format('SELECT %s', quote_ident(p))",
    "'SELECT * FROM ' || p::regclass",
    "'SELECT * FROM ' || to_regclass(p)::text",
    "'SELECT ' || 'constant' || ' pieces'",
    "'SELECT 1 LIMIT ' || length(p)",
])
def test_safe_expressions(expr):
    assert not flagged(f"EXECUTE {expr};"), expr


@pytest.mark.parametrize("expr", [
    "format('DELETE FROM %s', p)",
    "format('DELETE FROM %1$s WHERE a = %1$L', p)",
    "format('DELETE FROM %I WHERE a = ' || p, 'x')",
    "'SELECT ' || upper(p)",
    "'SELECT ' || quote_ident('x') || p",
    "concat('SELECT ', p)",
    "'SELECT ''' || replace(p, '''', '''''') || ''''",
])
def test_unsafe_expressions(expr):
    assert flagged(f"EXECUTE {expr};"), expr


def test_using_parameters_are_safe():
    assert not flagged("EXECUTE 'DELETE FROM t WHERE name = $1' USING p;")
    assert not flagged("EXECUTE format('DELETE FROM %I WHERE id = $1', p) USING p;")


def test_values_that_cannot_hold_sql():
    assert not flagged("EXECUTE 'SELECT * FROM t LIMIT ' || n || ' OFFSET ' || (n * 2);", params="n int")
    assert not flagged("EXECUTE 'SELECT ' || d || ', ' || b;", params="d date, b boolean")
    assert not flagged("v := p;\nEXECUTE 'SELECT ' || v;", declare="  v bigint;")


def test_whole_string_executed_as_given_is_not_splicing():
    assert not flagged("EXECUTE p;")
    assert not flagged("v := p;\nEXECUTE v;", declare="  v text;")
    assert not flagged("SELECT stmt INTO v FROM jobs LIMIT 1;\nEXECUTE v;", declare="  v text;")


def test_constants():
    assert not flagged("EXECUTE 'SELECT ' || k;", declare="  k CONSTANT text := 'x';")
    assert not flagged("v := 'DROP TABLE ';\nv := v || 'old_table';\nEXECUTE v;", declare="  v text;")
    assert not flagged("EXECUTE 'SELECT ' || v;", declare="  v text := 'a' || 'b';")


# -- following values --------------------------------------------------------------------


def test_assignment_chain_names_the_executed_variable():
    body = "a := 'DELETE FROM ' || p;\nb := a;\nc := b || ' WHERE true';\nEXECUTE c;"
    (d,) = findings(fn(body, declare="  a text; b text; c text;"))
    assert "`c` (which holds parameter `p`)" in d.message


def test_flow_sensitive_cleaning_and_order():
    assert not flagged("v := p;\nv := quote_ident(v);\nEXECUTE 'SELECT * FROM ' || v;", declare="  v text;")
    assert flagged("v := quote_ident(p);\nEXECUTE 'SELECT * FROM ' || v;\nv := p;\nEXECUTE 'SELECT * FROM ' || v;",
                   declare="  v text;")
    assert len(findings(fn("v := quote_ident(p);\nEXECUTE 'SELECT * FROM ' || v;\nv := p;\n"
                           "EXECUTE 'SELECT * FROM ' || v;", declare="  v text;"))) == 1


def test_branches_join():
    assert flagged("IF p = '' THEN v := 'x'; ELSE v := p; END IF;\nEXECUTE 'SELECT ' || v;", declare="  v text;")
    assert not flagged("IF p = '' THEN v := 'x'; ELSE v := 'y'; END IF;\nEXECUTE 'SELECT ' || v;",
                       declare="  v text;")


def test_loops_reach_a_fixpoint():
    body = "FOR i IN 1..3 LOOP\n  EXECUTE 'SELECT ' || v;\n  v := p;\nEND LOOP;"
    assert flagged(body, declare="  v text := 'x';")


def test_exception_handler_sees_the_states_of_its_block():
    body = ("BEGIN\n  v := p;\n  PERFORM 1 / 0;\n  v := 'safe';\nEXCEPTION WHEN others THEN\n"
            "  EXECUTE 'SELECT ' || v;\nEND;")
    assert flagged(body, declare="  v text := 'x';")


def test_code_after_return_is_unreachable():
    assert not flagged("RETURN;\nEXECUTE 'SELECT ' || p;")


def test_checks_pin_values():
    guard = "IF upper(p) NOT IN ('ASC', 'DESC') THEN\n  RAISE EXCEPTION 'bad';\nEND IF;\n"
    assert not flagged(guard + "EXECUTE 'SELECT 1 ORDER BY 1 ' || p;")
    assert flagged(guard.replace("RAISE EXCEPTION 'bad'", "RAISE NOTICE 'odd'") + "EXECUTE 'SELECT 1 ORDER BY 1 ' || p;")
    assert not flagged("IF p = 'a' THEN\n  EXECUTE 'SELECT ' || p;\nEND IF;")
    assert flagged("IF p <> 'a' THEN\n  EXECUTE 'SELECT ' || p;\nEND IF;")


def test_format_string_chosen_by_a_branch():
    """pg_partman's apply_privileges: %s only when the value was checked to be PUBLIC."""
    body = ("FOR r IN SELECT grantee FROM information_schema.role_table_grants LOOP\n"
            "  IF r.grantee = 'PUBLIC' THEN\n    v_sql := 'GRANT SELECT ON %I TO %s';\n"
            "  ELSE\n    v_sql := 'GRANT SELECT ON %I TO %I';\n  END IF;\n"
            "  EXECUTE format(v_sql, p, r.grantee);\nEND LOOP;")
    assert not flagged(body, declare="  r record; v_sql text;")
    assert flagged(body.replace("'GRANT SELECT ON %I TO %I'", "'GRANT SELECT ON %I TO %s'"),
                   declare="  r record; v_sql text;")


# -- statement kinds and positions --------------------------------------------------------


def test_return_query_open_and_for_execute():
    ret = fn("RETURN QUERY EXECUTE 'SELECT id FROM ' || p;", returns="SETOF int")
    (d,) = findings(ret)
    assert d.message.startswith("RETURN QUERY EXECUTE")
    (d,) = findings(fn("OPEN c FOR EXECUTE 'SELECT * FROM ' || p;", declare="  c refcursor;"))
    assert d.message.startswith("OPEN ... FOR EXECUTE")
    (d,) = findings(fn("FOR r IN EXECUTE 'SELECT * FROM ' || p LOOP\nEND LOOP;", declare="  r record;"))
    assert d.message.startswith("FOR ... IN EXECUTE")


def test_do_block():
    do = ("DO $$\nDECLARE r record;\nBEGIN\n  FOR r IN SELECT tablename FROM pg_tables LOOP\n"
          "    EXECUTE 'ANALYZE ' || r.tablename;\n  END LOOP;\nEND\n$$;")
    (d,) = findings(do)
    assert (d.line, d.column) == (5, 5)


def test_position_in_a_dollar_quoted_body():
    sql = ("-- a comment\nCREATE FUNCTION f(p text) RETURNS void LANGUAGE plpgsql AS $body$\nBEGIN\n"
           "  RAISE NOTICE 'x';\n  IF p IS NOT NULL THEN EXECUTE\n    'DELETE FROM ' || p; END IF;\nEND\n$body$;")
    (d,) = findings(sql)
    assert (d.line, d.column) == (5, 25)  # the EXECUTE keyword


def test_position_in_a_single_quoted_body():
    sql = ("CREATE FUNCTION f(p text) RETURNS void LANGUAGE plpgsql AS '\nBEGIN\n"
           "  RAISE NOTICE ''it''''s %'', p; EXECUTE ''DELETE FROM '' || p;\nEND';")
    (d,) = findings(sql)
    assert (d.line, d.column) == (3, 34)
    assert d.end_line == 3


def test_two_executes_on_one_line():
    sql = fn("EXECUTE 'SELECT 1'; EXECUTE 'SELECT ' || p;")
    (d,) = findings(sql)
    assert (d.line, d.column) == (3, 21)


def test_suppressed_above_the_function():
    sql = "-- pglint: ignore[dynamic-sql-injection] p is checked by the caller\n" + fn("EXECUTE 'SELECT ' || p;")
    assert findings(sql) == []


def test_unparsable_body_is_not_analysed():
    # libpg_query cannot compile bodies referring to types of other schemas: no traceback
    sql = fn("EXECUTE 'SELECT ' || p;", declare="  v myschema.mytype;")
    assert findings(sql) == []

"""Query and security rules in context: where a finding is right and where it is not."""

from conftest import lint, rules_of

LT = "SET lock_timeout = '2s';\n"


def only(sql: str, rule: str, **options):
    return [d for d in lint(sql, "q.sql", select=[rule], **options) if d.rule == rule]


# -- select-star ---------------------------------------------------------------------------


def test_select_star_contexts():
    flagged = [
        "CREATE VIEW v AS SELECT * FROM t;",
        "CREATE MATERIALIZED VIEW v AS SELECT t.* FROM t;",
        "INSERT INTO t2 SELECT * FROM t;",
        "SELECT * FROM t;",
        "SELECT a FROM u WHERE a IN (SELECT * FROM t);",
        "CREATE VIEW v AS WITH c AS (SELECT * FROM t) SELECT c.* FROM c;",
        "CREATE VIEW v AS SELECT s.* FROM (SELECT * FROM t) s;",
        "CREATE VIEW v AS SELECT * FROM t JOIN u USING (id);",
    ]
    for sql in flagged:
        assert len(only(sql, "select-star")) == 1, sql
    not_flagged = [
        "SELECT count(*) FROM t;",
        "SELECT 1 WHERE EXISTS (SELECT * FROM t);",
        "CREATE TABLE t_copy AS SELECT * FROM t;",
        "SELECT * INTO t_copy FROM t;",
        "SELECT a FROM (SELECT * FROM t) s;",
        "CREATE VIEW v AS SELECT s.* FROM (SELECT a, b FROM t) s;",
        "CREATE VIEW v AS WITH c AS (SELECT a FROM t) SELECT * FROM c;",
        "SELECT * FROM generate_series(1, 3);",
        "SELECT * FROM (VALUES (1, 2)) v (a, b);",
        "EXPLAIN SELECT * FROM t;",
    ]
    for sql in not_flagged:
        assert only(sql, "select-star") == [], sql


def test_select_star_names_the_table_and_points_at_the_star():
    (d,) = only("CREATE VIEW v AS\n  SELECT u.id, t.* FROM u JOIN t ON t.id = u.id;", "select-star")
    assert (d.line, d.column) == (2, 16)
    assert d.message.startswith("t.* fixes the view's columns to those t has today")
    assert d.relation == "public.t"


def test_select_star_in_plpgsql():
    body = ("CREATE FUNCTION f() RETURNS TABLE (a int) LANGUAGE plpgsql AS $$\nDECLARE r record;\nBEGIN\n"
            "  PERFORM * FROM t;\n  SELECT * INTO r FROM t;\n  FOR r IN SELECT * FROM t LOOP END LOOP;\n"
            "  RETURN QUERY SELECT * FROM t;\nEND $$;")
    (d,) = only(body, "select-star")
    assert d.line == 7  # only RETURN QUERY: the others keep the row as it comes
    assert "function" in d.message


def test_perform_and_return_query_with_the_same_text():
    """The embedded PERFORM is located on its own line, not at a later copy of its text."""
    sql = ("CREATE FUNCTION g() RETURNS TABLE (a int) LANGUAGE plpgsql AS '\nBEGIN\n"
           "  RAISE NOTICE ''x''; PERFORM * FROM t;\n  RETURN QUERY SELECT * FROM t;\nEND';")
    (d,) = only(sql, "select-star")
    assert (d.line, d.column) == (4, 23)


def test_select_star_function_returning_the_rowtype():
    assert only("CREATE FUNCTION f() RETURNS SETOF t LANGUAGE sql AS 'SELECT * FROM t';", "select-star") == []
    assert only("CREATE FUNCTION f() RETURNS SETOF u LANGUAGE sql AS 'SELECT * FROM t';", "select-star") != []


# -- update-without-where / delete-without-where ----------------------------------------------


def test_update_and_delete_without_where():
    assert rules_of("UPDATE users SET active = true;") == ["update-without-where"]
    assert rules_of("DELETE FROM sessions;") == ["delete-without-where"]
    assert rules_of("UPDATE users SET active = true WHERE id = 1; DELETE FROM s WHERE true;",
                    select=["update-without-where", "delete-without-where"]) == []
    # a WHERE that bounds nothing is backfill-in-migration's (one finding per statement)
    assert rules_of("DELETE FROM s WHERE true;") == ["backfill-in-migration"]
    assert rules_of("UPDATE users SET a = o.a FROM other o;") == ["update-without-where"]


def test_update_on_a_table_of_this_file_is_fine():
    sql = "CREATE TABLE t (a int); INSERT INTO t VALUES (1); UPDATE t SET a = 2; DELETE FROM t;"
    assert rules_of(sql, select=["update-without-where", "delete-without-where"]) == []


def test_in_function_bodies():
    sql = ("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
           "  CREATE TEMP TABLE work (a int) ON COMMIT DROP;\n  DELETE FROM work;\n  UPDATE work SET a = 1;\n"
           "  DELETE FROM accounts;\nEND $$;")
    (d,) = only(sql, "delete-without-where")
    assert d.line == 6 and "every time the function runs" in d.message
    assert only(sql, "update-without-where") == []
    # a table created in the migration is not the function's: it holds data when the function runs
    sql2 = "CREATE TABLE t (a int);\nCREATE FUNCTION g() RETURNS void LANGUAGE sql AS 'DELETE FROM t';"
    assert len(only(sql2, "delete-without-where")) == 1


# -- not-in-subquery / null-comparison ---------------------------------------------------------


def test_not_in_subquery_forms():
    assert len(only("SELECT 1 FROM a WHERE x NOT IN (SELECT y FROM b);", "not-in-subquery")) == 1
    assert len(only("SELECT 1 FROM a WHERE NOT (x IN (SELECT y FROM b));", "not-in-subquery")) == 1
    assert len(only("SELECT 1 FROM a WHERE x <> ALL (SELECT y FROM b);", "not-in-subquery")) == 1
    assert only("SELECT 1 FROM a WHERE x IN (SELECT y FROM b) OR x NOT IN (1, 2);", "not-in-subquery") == []
    assert only("SELECT 1 FROM a WHERE NOT EXISTS (SELECT FROM b WHERE b.y = a.x);", "not-in-subquery") == []


def test_not_in_subquery_over_a_not_null_column_says_only_the_plan():
    # NOT IN over a column that cannot be NULL has no NULL trap: the message must not claim one,
    # but NOT IN still cannot become an anti-join
    tables = ("CREATE TABLE project (project_id serial PRIMARY KEY, name text NOT NULL, note text);\n"
              "CREATE TABLE tag (id bigint PRIMARY KEY, name text NOT NULL, repo text);\n")
    plan = {
        "DELETE FROM tag WHERE id NOT IN (SELECT project_id FROM project WHERE name <> 'x');": "project.project_id",
        "DELETE FROM tag WHERE name NOT IN (SELECT p.name FROM project p);": "project.name",
        "DELETE FROM tag WHERE id NOT IN (SELECT max(id) FROM tag GROUP BY name, repo);": "tag.id",
        "DELETE FROM tag WHERE id <> ALL (SELECT DISTINCT project_id FROM public.project);": "project.project_id",
    }
    for sql, col in plan.items():
        (d,) = only(tables + sql, "not-in-subquery")
        assert d.message.endswith(f"over NOT NULL column {col} cannot be planned as an anti-join"), sql
        assert "NULL" not in d.help, sql
    trap = [
        "DELETE FROM tag WHERE name NOT IN (SELECT note FROM project);",  # a nullable column
        "DELETE FROM tag WHERE id NOT IN (SELECT max(id) FROM tag);",  # NULL on an empty table
        "DELETE FROM tag WHERE id NOT IN (SELECT max(id) FROM tag GROUP BY ());",
        "WITH project AS (SELECT NULL::int AS project_id) DELETE FROM tag WHERE id NOT IN (SELECT project_id FROM project);",
        "DELETE FROM tag WHERE id NOT IN (SELECT project_id FROM project LEFT JOIN tag ON true);",
        "DELETE FROM tag WHERE id NOT IN (SELECT x FROM unknown_t);",  # not in the history
        "DELETE FROM tag WHERE id NOT IN (SELECT project_id FROM project UNION SELECT NULL);",
    ]
    for sql in trap:
        (d,) = only(tables + sql, "not-in-subquery")
        assert "as soon as the subquery yields one NULL" in d.message, sql


def test_null_comparison_forms():
    sql = "SELECT 1 FROM t WHERE a = NULL OR b <> NULL OR c != NULL::int OR d NOT IN (1, NULL);"
    assert len(only(sql, "null-comparison")) == 4
    assert len(only("SELECT CASE x WHEN NULL THEN 1 END FROM t;", "null-comparison")) == 1
    ok = "SELECT 1 FROM t WHERE a IS NULL OR b IS DISTINCT FROM NULL; UPDATE t SET a = NULL WHERE b IS NOT NULL;"
    assert only(ok, "null-comparison") == []


def test_null_comparison_in_a_check_constraint_says_it_never_rejects():
    (d,) = only("CREATE TABLE t (a text CHECK (a = NULL OR length(a) > 0));", "null-comparison")
    assert "never rejects anything" in d.explanation


def test_plpgsql_conditions_are_checked():
    sql = ("CREATE FUNCTION f(p int) RETURNS void LANGUAGE plpgsql AS '\nBEGIN\n"
           "  IF p = NULL THEN RETURN; END IF;\n  IF p NOT IN (SELECT id FROM t) THEN\n    RETURN;\n  END IF;\nEND';")
    (n,) = only(sql, "null-comparison")
    assert (n.line, n.column) == (3, 6)
    (s,) = only(sql, "not-in-subquery")
    assert (s.line, s.column) == (4, 6)


# -- duplicate-assignment / insert-without-columns -----------------------------------------------


def test_duplicate_assignment():
    (d,) = only("UPDATE t SET a = 1, b = 2, a = 3 WHERE id = 1;", "duplicate-assignment")
    assert d.severity == "error" and (d.line, d.column) == (1, 28)
    assert len(only("UPDATE t SET (a, b) = (1, 2), b = 3 WHERE id = 1;", "duplicate-assignment")) == 1
    assert len(only("INSERT INTO t (a, b, a) VALUES (1, 2, 3);", "duplicate-assignment")) == 1
    up = "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 1, b = 2;"
    assert len(only(up, "duplicate-assignment")) == 1
    merge = "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET b = 1, b = 2;"
    assert len(only(merge, "duplicate-assignment")) == 1


def test_duplicate_assignment_subscripts_and_fields():
    assert only("UPDATE t SET arr[1] = 1, arr[2] = 2, c.x = 1, c.y = 2 WHERE id = 1;", "duplicate-assignment") == []
    (d,) = only("UPDATE t SET arr[1] = 1, arr[1] = 2 WHERE id = 1;", "duplicate-assignment")
    assert d.severity == "warning" and "silently overwrites" in d.message
    (d,) = only("UPDATE t SET c.x = 1, c = ROW(1, 2) WHERE id = 1;", "duplicate-assignment")
    assert d.severity == "error"


def test_insert_without_columns_is_opt_in():
    sql = "INSERT INTO plans VALUES (1, 'free');"
    assert rules_of(sql) == []
    assert rules_of(sql, extend_select=["insert-without-columns"]) == ["insert-without-columns"]
    ok = "INSERT INTO plans (id, name) VALUES (1, 'free'); INSERT INTO plans DEFAULT VALUES;"
    assert rules_of(ok, extend_select=["insert-without-columns"]) == []


# -- security-definer-search-path ---------------------------------------------------------------


def test_security_definer_paths():
    base = "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER {} AS 'SELECT 1';"
    bad = ["", "SET search_path = public", "SET search_path = ''", "SET search_path FROM CURRENT",
           "SET search_path = pg_temp, public"]
    good = ["SET search_path = public, pg_temp", "SET search_path TO 'public, pg_temp'",
            "SET search_path = pg_catalog, \"pg_temp\""]
    for opt in bad:
        assert len(only(base.format(opt), "security-definer-search-path")) == 1, opt
    for opt in good:
        assert only(base.format(opt), "security-definer-search-path") == [], opt
    assert only("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';", "security-definer-search-path") == []


def test_security_definer_fixed_or_made_later_in_the_file():
    fixed = ("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT a';\n"
             "ALTER FUNCTION f(int) SET search_path = pg_catalog, pg_temp;")
    assert only(fixed, "security-definer-search-path") == []
    made = ("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a';\n"
            "ALTER FUNCTION f(int) SECURITY DEFINER;")
    (d,) = only(made, "security-definer-search-path")
    assert d.line == 2
    # a function of another migration: its settings are not known here
    assert only("ALTER FUNCTION elsewhere(int) SECURITY DEFINER;", "security-definer-search-path") == []


def test_security_definer_suppression_on_the_create_statement():
    sql = ("-- pglint: ignore[security-definer-search-path] body is schema-qualified\n"
           "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';")
    assert lint(sql) == []


# -- grant-to-public / password-in-source ---------------------------------------------------------


def test_grant_to_public():
    (d,) = only("GRANT SELECT, INSERT ON TABLE invoices TO app, PUBLIC;", "grant-to-public")
    assert d.message.startswith("GRANT SELECT, INSERT ON TABLE invoices TO PUBLIC") and "change the data" in d.explanation
    (d,) = only("GRANT CREATE ON SCHEMA public TO PUBLIC;", "grant-to-public")
    assert "create objects" in d.explanation
    assert len(only("GRANT SELECT ON ALL TABLES IN SCHEMA s TO public;", "grant-to-public")) == 1
    assert len(only("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;", "grant-to-public")) == 1
    assert only("REVOKE ALL ON TABLE invoices FROM PUBLIC; GRANT SELECT ON invoices TO app;", "grant-to-public") == []
    assert only("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;", "grant-to-public") == []


def test_grant_of_public_defaults():
    for sql in ("GRANT EXECUTE ON FUNCTION f(int) TO PUBLIC;", "GRANT ALL ON FUNCTION f(int) TO PUBLIC;",
                "GRANT USAGE ON TYPE mood TO PUBLIC;", "GRANT USAGE ON LANGUAGE plpgsql TO PUBLIC;",
                "GRANT CONNECT, TEMPORARY ON DATABASE app TO PUBLIC;",
                "ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;"):
        assert only(sql, "grant-to-public") == [], sql
    assert len(only("GRANT CREATE ON DATABASE app TO PUBLIC;", "grant-to-public")) == 1
    again = "REVOKE ALL ON FUNCTION f(int) FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION f(int) TO PUBLIC;"
    (d,) = only(again, "grant-to-public")
    assert d.line == 2 and "undoing the REVOKE" in d.message
    again = ("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n"
             "ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;")
    assert len(only(again, "grant-to-public")) == 1


def test_password_never_printed():
    secret = "s3cr3t-Value"
    for sql in (f"CREATE ROLE app LOGIN PASSWORD '{secret}';",
                f"ALTER USER app WITH ENCRYPTED PASSWORD '{secret}';",
                f"CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'x', password '{secret}');",
                f"ALTER USER MAPPING FOR app SERVER s OPTIONS (SET password '{secret}');"):
        (d,) = only(sql, "password-in-source")
        assert secret not in d.message and secret not in (d.help or ""), sql
        assert sql[d.start:d.end] == f"'{secret}'"


def test_password_hash_kinds_and_non_secrets():
    (d,) = only("ALTER ROLE app PASSWORD 'md5" + "0" * 32 + "';", "password-in-source")
    assert "md5 password hash" in d.message
    (d,) = only("ALTER ROLE app PASSWORD 'SCRAM-SHA-256$4096:abc$def:ghi';", "password-in-source")
    assert "SCRAM" in d.message
    for sql in ("ALTER ROLE app PASSWORD NULL;", "CREATE ROLE app LOGIN;",
                "CREATE ROLE app PASSWORD '${APP_PASSWORD}';", "CREATE ROLE app PASSWORD '{{ .Password }}';",
                "\\set pw 'x'\nALTER ROLE app PASSWORD :'pw';",
                "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'x');"):
        assert only(sql, "password-in-source") == [], sql


# -- row-level security -------------------------------------------------------------------------


def test_policy_always_true():
    flagged = [
        "CREATE POLICY p ON t USING (true);",
        "CREATE POLICY p ON t FOR DELETE TO authenticated USING (1 = 1);",
        "CREATE POLICY p ON t FOR INSERT WITH CHECK ('t'::boolean);",
        "CREATE POLICY p ON t FOR UPDATE USING (owner = current_user) WITH CHECK (true);",
        "ALTER POLICY p ON t USING (true);",
    ]
    for sql in flagged:
        assert len(only(LT + sql, "policy-always-true")) == 1, sql
    not_flagged = [
        "CREATE POLICY p ON t FOR SELECT USING (true);",
        "CREATE POLICY p ON t AS RESTRICTIVE FOR ALL USING (true);",
        "CREATE POLICY p ON t FOR UPDATE USING (owner = current_user);",
        "CREATE POLICY p ON t FOR SELECT USING (a > 0);\nALTER POLICY p ON t USING (true);",
    ]
    for sql in not_flagged:
        assert only(LT + sql, "policy-always-true") == [], sql


def test_policy_message_names_the_roles():
    (d,) = only(LT + "CREATE POLICY p ON docs FOR UPDATE TO editor, reviewer USING (true);", "policy-always-true")
    assert "roles editor, reviewer update every row of docs" in d.message


def test_rls_without_policy():
    (d,) = only(LT + "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;", "rls-without-policy")
    assert d.severity == "info" and d.line == 2
    for sql in ("ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON public.docs USING (a > 0);",
                "CREATE POLICY p ON docs USING (a > 0);\nALTER TABLE public.docs FORCE ROW LEVEL SECURITY;",
                "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE docs DISABLE ROW LEVEL SECURITY;"):
        assert only(LT + sql, "rls-without-policy") == [], sql


def test_rls_without_policy_per_goose_section():
    sql = ("-- +goose Up\nSET lock_timeout = '2s';\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n"
           "-- +goose Down\nSET lock_timeout = '2s';\nCREATE POLICY p ON docs USING (true);\n")
    (d,) = only(sql, "rls-without-policy")
    assert d.line == 3


def test_select_star_expansions_of_one_statement_in_one_call_match_one_at_a_time():
    """expand_stars marks every star of a statement at once; a star over a CTE whose own star
    was marked must not take that star's marker columns, and each expansion must be what a
    call for that star alone gives."""
    from pglint.model.stars import expand_star, expand_stars

    sql = ("CREATE VIEW v AS WITH c AS (SELECT p.*, 1 AS one FROM p JOIN q USING (id)) "
           "SELECT c.*, q.* FROM c JOIN q ON q.id = c.id")
    stars = [(sql.index("p.*"), sql.index("p.*") + 3), (sql.index("c.*"), sql.index("c.*") + 3),
             (sql.index("q.*"), sql.index("q.*") + 3)]
    relations = {(None, "p"): ["id", "a", "b"], (None, "q"): ["id", "z"]}
    together = expand_stars(sql, stars, relations)
    alone = [expand_star(sql, s, relations) for s in stars]
    assert together == alone
    assert [n for _, n in together[1].columns] == ["id", "a", "b", "one"]
    assert [n for _, n in together[2].columns] == ["id", "z"]


def test_select_star_qualified_over_a_joined_table_lists_that_tables_columns():
    diags = lint("CREATE TABLE p (id int PRIMARY KEY, a text);\nCREATE TABLE q (id int PRIMARY KEY, z text);\n"
                 "CREATE VIEW v AS SELECT p.*, q.z FROM p JOIN q USING (id);", select=["select-star"])
    assert len(diags) == 1
    assert "today it expands to: id, a" in diags[0].help
    assert diags[0].fix is not None and diags[0].fix.edits[0].text == "p.id, p.a"


def test_rls_without_policy_knows_the_policies_of_earlier_migrations():
    # policies created first, RLS switched on by a later migration: the table has its policies
    from pglint.config.settings import Settings
    from pglint.engine.checker import replay
    from pglint.engine.runner import make_options
    from pglint.model.schema import SchemaModel
    from pglint.source.text import SourceText

    def history(sql):
        m = SchemaModel()
        replay(SourceText("h.sql", sql), make_options(Settings()), m, -1)
        return m

    earlier = ("CREATE TABLE docs (id bigint PRIMARY KEY, owner text);\nCREATE TABLE notes (id bigint PRIMARY KEY);\n"
               "CREATE SCHEMA app;\nCREATE TABLE app.docs (id bigint PRIMARY KEY);\n"
               "CREATE POLICY docs_owner ON docs USING (owner = current_user);\n")
    rule = "rls-without-policy"
    assert only(LT + "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;", rule, schema=history(earlier)) == []
    assert only(LT + "ALTER TABLE public.docs FORCE ROW LEVEL SECURITY;", rule, schema=history(earlier)) == []
    # another table, a table of the same name in another schema, a policy dropped again: still reported
    assert len(only(LT + "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;", rule, schema=history(earlier))) == 1
    assert len(only(LT + "ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;", rule, schema=history(earlier))) == 1
    dropped = history(earlier + "DROP POLICY docs_owner ON docs;\n")
    assert len(only(LT + "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;", rule, schema=dropped)) == 1
    # a policy a down section creates is undone with the rest of that section
    rolled_back = history("-- +goose Up\nCREATE TABLE docs (id bigint PRIMARY KEY, owner text);\n"
                          "-- +goose Down\nCREATE POLICY docs_owner ON docs USING (owner = current_user);\n")
    assert len(only(LT + "ALTER TABLE docs ENABLE ROW LEVEL SECURITY;", rule, schema=rolled_back)) == 1

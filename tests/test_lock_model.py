"""The static lock model (model/locks.py, model/facts.py) on the statement forms where
``pglint trace`` showed PostgreSQL doing something else than it predicted; each case here
was measured on PostgreSQL 15 (tests/test_trace_agreement.py keeps checking them)."""

from conftest import rules_of


def effects_of_last(sql: str, **settings) -> set:
    from pglint.config.settings import Settings
    from pglint.engine.checker import replay
    from pglint.engine.runner import make_options
    from pglint.model.schema import SchemaModel
    from pglint.source.text import SourceText

    opts = make_options(Settings(**settings))
    got = []
    replay(SourceText("t.sql", sql), opts, SchemaModel(), 0, None,
           lambda ctx, s: got.append(ctx.effects()) if s.parent is None else None)
    return {(".".join(p for p in e.relation if p), e.mode.name, e.rewrite) for e in got[-1]}


PARENT = """CREATE TABLE parent (id int PRIMARY KEY, code int UNIQUE);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), note text);
CREATE VIEW child_v AS SELECT id, parent_id FROM child;
CREATE VIEW child_vv AS SELECT id FROM child_v;
"""


def test_drop_column_locks_the_table_its_foreign_key_references():
    got = effects_of_last(PARENT + "ALTER TABLE child DROP COLUMN parent_id CASCADE;")
    assert ("public.parent", "ACCESS_EXCLUSIVE", False) in got
    # CASCADE also drops the views reading the column (and the views reading those)
    assert {("public.child_v", "ACCESS_EXCLUSIVE", False), ("public.child_vv", "ACCESS_EXCLUSIVE", False)} <= got
    assert ("public.parent", "ACCESS_EXCLUSIVE", False) not in effects_of_last(PARENT + "ALTER TABLE child DROP COLUMN note;")


def test_a_dropped_column_takes_its_foreign_key_with_it():
    sql = PARENT + "ALTER TABLE child DROP COLUMN parent_id CASCADE;\nDROP TABLE child;"
    assert effects_of_last(sql) == {("child", "ACCESS_EXCLUSIVE", False)}


def test_drop_column_cascade_drops_referencing_foreign_keys():
    got = effects_of_last(PARENT + "ALTER TABLE parent DROP COLUMN id CASCADE;")
    assert ("public.child", "ACCESS_EXCLUSIVE", False) in got


def test_type_change_of_a_foreign_key_column_locks_the_other_table():
    assert ("public.parent", "ACCESS_EXCLUSIVE", False) in effects_of_last(
        PARENT + "ALTER TABLE child ALTER COLUMN parent_id TYPE bigint;")
    assert ("public.child", "ACCESS_EXCLUSIVE", False) in effects_of_last(
        PARENT + "ALTER TABLE parent ALTER COLUMN id TYPE bigint;")
    assert effects_of_last(PARENT + "ALTER TABLE parent ALTER COLUMN code TYPE bigint;") == {
        ("parent", "ACCESS_EXCLUSIVE", True)}


def test_drop_cascade_locks_dependent_views_and_referencing_tables():
    got = effects_of_last(PARENT + "DROP TABLE parent CASCADE;")
    assert ("public.child", "ACCESS_EXCLUSIVE", False) in got
    got = effects_of_last(PARENT + "DROP VIEW child_v CASCADE;")
    assert got == {("child_v", "ACCESS_EXCLUSIVE", False), ("public.child_vv", "ACCESS_EXCLUSIVE", False)}


def test_drop_function_cascade_locks_the_tables_of_its_triggers():
    sql = (PARENT + "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
           "CREATE TRIGGER t1 BEFORE UPDATE ON child FOR EACH ROW EXECUTE FUNCTION touch();\n")
    assert effects_of_last(sql + "DROP FUNCTION touch() CASCADE;") == {("public.child", "ACCESS_EXCLUSIVE", False)}
    assert effects_of_last(sql + "DROP TRIGGER t1 ON child;\nDROP FUNCTION touch() CASCADE;") == set()


def test_index_on_a_partitioned_table_locks_every_partition():
    sql = ("CREATE TABLE m (k int) PARTITION BY RANGE (k);\n"
           "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (k);\n"
           "CREATE TABLE m1a PARTITION OF m1 FOR VALUES FROM (0) TO (5);\n")
    assert effects_of_last(sql + "CREATE INDEX ON m (k);") == {
        ("m", "SHARE", False), ("public.m1", "SHARE", False), ("public.m1a", "SHARE", False)}
    assert effects_of_last(sql + "CREATE INDEX ON ONLY m (k);") == {("m", "SHARE", False)}


def test_detach_concurrently_takes_access_exclusive_on_the_partition():
    assert effects_of_last("ALTER TABLE m DETACH PARTITION m1 CONCURRENTLY;") == {
        ("m", "SHARE_UPDATE_EXCLUSIVE", False), ("m1", "ACCESS_EXCLUSIVE", False)}
    # and so it counts for lock-timeout-missing
    assert rules_of("ALTER TABLE m DETACH PARTITION m1 CONCURRENTLY;") == ["lock-timeout-missing"]


def test_no_inherit_only_reads_the_parent():
    assert effects_of_last("ALTER TABLE c NO INHERIT p;") == {("c", "ACCESS_EXCLUSIVE", False), ("p", "ACCESS_SHARE", False)}
    assert ("p", "SHARE_UPDATE_EXCLUSIVE", False) in effects_of_last("ALTER TABLE c INHERIT p;")


def test_reindex_concurrently_gives_the_index_new_storage():
    sql = "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\n"
    assert effects_of_last(sql + "REINDEX INDEX CONCURRENTLY t_a;") == {
        ("t_a", "ACCESS_EXCLUSIVE", True), ("public.t", "SHARE_UPDATE_EXCLUSIVE", False)}


def test_concurrent_index_drops_lock_the_index_last_which_blocks_nobody():
    """index_drop() takes ACCESS EXCLUSIVE on the index once no transaction uses it (the
    old index of REINDEX CONCURRENTLY too): a late lock, so no lock_timeout is asked for."""
    sql = "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\n"
    assert effects_of_last(sql + "DROP INDEX CONCURRENTLY t_a;") == {
        ("public.t", "SHARE_UPDATE_EXCLUSIVE", False), ("t_a", "ACCESS_EXCLUSIVE", False)}
    for stmt in ("DROP INDEX CONCURRENTLY t_a;", "REINDEX INDEX CONCURRENTLY t_a;"):
        assert rules_of(stmt, schema=_model(sql)) == [], stmt  # (linting applies the file to the model)
    assert rules_of("DROP INDEX t_a;", schema=_model(sql)) == ["drop-index-not-concurrent", "lock-timeout-missing"]


def test_set_access_method_to_the_current_one_is_free():
    sql = "CREATE TABLE t (a int);\n"
    assert effects_of_last(sql + "ALTER TABLE t SET ACCESS METHOD heap;") == {("t", "ACCESS_EXCLUSIVE", False)}
    assert effects_of_last(sql + "ALTER TABLE t SET ACCESS METHOD other;") == {("t", "ACCESS_EXCLUSIVE", True)}
    assert effects_of_last("ALTER TABLE old SET ACCESS METHOD heap;") == {("old", "ACCESS_EXCLUSIVE", True)}  # not known
    lt = "SET lock_timeout = '1s';\n"
    assert rules_of(lt + "ALTER TABLE old SET ACCESS METHOD heap;") == ["table-rewrite"]
    history = _model("CREATE TABLE t (a int);\n")
    assert rules_of(lt + "ALTER TABLE t SET ACCESS METHOD heap;", schema=history) == []
    assert rules_of(lt + "ALTER TABLE t SET ACCESS METHOD columnar;", schema=_model("CREATE TABLE t (a int);\n")) == ["table-rewrite"]


def _model(sql):
    from pglint.config.settings import Settings
    from pglint.engine.checker import replay
    from pglint.engine.runner import make_options
    from pglint.model.schema import SchemaModel
    from pglint.source.text import SourceText

    m = SchemaModel()
    replay(SourceText("h.sql", sql), make_options(Settings()), m, -1)  # an earlier file
    return m


def test_a_column_of_a_constrained_domain_rewrites_before_pg19():
    dom = "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);\n"
    assert effects_of_last(dom + "ALTER TABLE t ADD COLUMN n positive_int;") == {("t", "ACCESS_EXCLUSIVE", True)}
    assert effects_of_last(dom + "ALTER TABLE t ADD COLUMN n positive_int DEFAULT 1;") == {("t", "ACCESS_EXCLUSIVE", True)}
    assert effects_of_last(dom + "ALTER TABLE t ADD COLUMN n positive_int;", pg_version=(19,)) == {
        ("t", "ACCESS_EXCLUSIVE", False)}
    free = "CREATE DOMAIN label AS text;\n"
    assert effects_of_last(free + "ALTER TABLE t ADD COLUMN n label;") == {("t", "ACCESS_EXCLUSIVE", False)}
    dropped = dom + "ALTER DOMAIN positive_int DROP CONSTRAINT positive_int_check;\n"
    assert effects_of_last(dropped + "ALTER TABLE t ADD COLUMN n positive_int;") == {("t", "ACCESS_EXCLUSIVE", False)}
    history = _model(dom + "CREATE TABLE t (a int);\n")
    lt = "SET lock_timeout = '1s';\n"
    assert rules_of(lt + "ALTER TABLE t ADD COLUMN n positive_int;", schema=history) == ["add-column-rewrites"]


def test_renaming_a_unique_constraint_renames_its_index():
    m = _model("CREATE TABLE s (token text);\nALTER TABLE s ADD CONSTRAINT s_token_key UNIQUE (token);\n"
               "ALTER TABLE s RENAME CONSTRAINT s_token_key TO s_token_uniq;\n")
    assert ("public", "s_token_uniq") in m.indexes and ("public", "s_token_key") not in m.indexes


def test_cascade_drops_take_foreign_keys_and_triggers_out_of_the_model():
    sql = PARENT + "ALTER TABLE parent DROP COLUMN id CASCADE;\nDROP TABLE child;"
    assert effects_of_last(sql) == {("child", "ACCESS_EXCLUSIVE", False)}  # its foreign key went with parent.id
    trig = (PARENT + "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
            "CREATE TRIGGER t1 BEFORE UPDATE ON child FOR EACH ROW EXECUTE FUNCTION touch();\n"
            "DROP FUNCTION touch() CASCADE;\n"
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n")
    assert effects_of_last(trig + "DROP FUNCTION touch() CASCADE;") == set()


def test_alter_table_on_a_partitioned_table_locks_its_partitions_too():
    from pglint.config.settings import Settings
    from pglint.engine.checker import replay
    from pglint.engine.runner import make_options
    from pglint.model.schema import SchemaModel
    from pglint.source.text import SourceText

    sql = ("CREATE TABLE m (k int) PARTITION BY RANGE (k);\n"
           "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10);\n")
    got = {}

    def keep(ctx, s):
        got[ctx.sql[s.start:s.end]] = ctx.effects()

    src = sql + "ALTER TABLE m ADD COLUMN v int;\nALTER TABLE ONLY m ALTER COLUMN k SET STATISTICS 10;\nALTER TABLE m ENABLE ROW LEVEL SECURITY;"
    replay(SourceText("t.sql", src), make_options(Settings()), SchemaModel(), 0, None, keep)
    add = got["ALTER TABLE m ADD COLUMN v int"]
    assert [(e.relation, e.mode.name, e.children) for e in add] == [
        ((None, "m"), "ACCESS_EXCLUSIVE", True), (("public", "m1"), "ACCESS_EXCLUSIVE", False)]
    assert [e.children for e in got["ALTER TABLE ONLY m ALTER COLUMN k SET STATISTICS 10"]] == [False]
    assert [e.children for e in got["ALTER TABLE m ENABLE ROW LEVEL SECURITY"]] == [False]


def test_drop_trigger_if_exists_of_a_missing_trigger_locks_nothing():
    sql = "CREATE TABLE t (a int);\n"
    assert effects_of_last(sql + "DROP TRIGGER IF EXISTS nope ON t;") == set()
    assert effects_of_last(sql + "DROP TRIGGER nope ON t;") == {("t", "ACCESS_EXCLUSIVE", False)}
    assert effects_of_last("DROP TRIGGER IF EXISTS nope ON unknown_table;") == {("unknown_table", "ACCESS_EXCLUSIVE", False)}


def test_drop_lock_truncate_and_foreign_keys_cover_the_partitions():
    from pglint.config.settings import Settings
    from pglint.engine.checker import replay
    from pglint.engine.runner import make_options
    from pglint.model.schema import SchemaModel
    from pglint.source.text import SourceText

    sql = ("CREATE TABLE m (k int PRIMARY KEY) PARTITION BY RANGE (k);\n"
           "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10);\n"
           "CREATE INDEX m_k ON m (k);\n")
    stmts = ["CREATE TABLE r (k int REFERENCES m (k))", "LOCK TABLE m IN SHARE MODE", "LOCK TABLE ONLY m",
             "TRUNCATE m", "DROP INDEX m_k", "DROP TABLE m"]
    got = {}
    replay(SourceText("t.sql", sql + ";\n".join(stmts) + ";"), make_options(Settings()), SchemaModel(), 0, None,
           lambda ctx, s: got.__setitem__(ctx.sql[s.start:s.end], ctx.effects()))

    def summary(text):
        return [(e.relation[1], e.mode.name, e.rewrite, e.children) for e in got[text] if e.kind == "table"]

    assert summary(stmts[0]) == [("m", "SHARE_ROW_EXCLUSIVE", False, True), ("m1", "SHARE_ROW_EXCLUSIVE", False, False)]
    assert summary(stmts[1]) == [("m", "SHARE", False, True), ("m1", "SHARE", False, False)]
    assert summary(stmts[2]) == [("m", "ACCESS_EXCLUSIVE", False, False)]
    assert summary(stmts[3]) == [("m", "ACCESS_EXCLUSIVE", True, True), ("m1", "ACCESS_EXCLUSIVE", True, False)]
    assert summary(stmts[4]) == [("m", "ACCESS_EXCLUSIVE", False, True), ("m1", "ACCESS_EXCLUSIVE", False, False)]
    assert summary(stmts[5]) == [("m", "ACCESS_EXCLUSIVE", False, True), ("m1", "ACCESS_EXCLUSIVE", False, False)]


def test_default_partition_inheritance_children_views_reloptions_and_vacuum():
    sql = ("CREATE TABLE p (k int) PARTITION BY RANGE (k);\n"
           "CREATE TABLE pd PARTITION OF p DEFAULT;\n"
           "CREATE TABLE p3 (k int);\n"
           "CREATE TABLE par (a int);\nCREATE TABLE ch (b int) INHERITS (par);\n"
           "CREATE TABLE base (id int);\nCREATE VIEW bv AS SELECT id FROM base;\nCREATE VIEW bvv AS SELECT id FROM bv;\n")
    # a new partition, ATTACH and DETACH check or change the default partition
    assert ("public.pd", "ACCESS_EXCLUSIVE", False) in effects_of_last(sql + "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (0) TO (9);")
    assert ("public.pd", "ACCESS_EXCLUSIVE", False) in effects_of_last(sql + "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (9) TO (19);")
    assert ("public.pd", "ACCESS_EXCLUSIVE", False) in effects_of_last(sql + "ALTER TABLE p DETACH PARTITION p3;")
    # ALTER, RENAME COLUMN and LOCK reach inheritance children
    assert ("public.ch", "ACCESS_EXCLUSIVE", False) in effects_of_last(sql + "ALTER TABLE par ADD COLUMN c int;")
    assert ("public.ch", "ACCESS_EXCLUSIVE", False) in effects_of_last(sql + "ALTER TABLE par RENAME COLUMN a TO aa;")
    assert ("public.ch", "SHARE", False) in effects_of_last(sql + "LOCK TABLE par IN SHARE MODE;")
    assert ("public.ch", "ACCESS_EXCLUSIVE", False) not in effects_of_last(sql + "ALTER TABLE ONLY par ADD COLUMN c int;")
    assert ("public.ch", "ACCESS_EXCLUSIVE", False) not in effects_of_last(sql + "ALTER TABLE ch NO INHERIT par;\nALTER TABLE par ADD COLUMN c int;")
    # LOCK on a view locks what it reads, down to the tables
    assert effects_of_last(sql + "LOCK TABLE bvv IN SHARE MODE;") == {
        ("bvv", "SHARE", False), ("public.bv", "SHARE", False), ("public.base", "SHARE", False)}
    # storage parameters: most take SHARE UPDATE EXCLUSIVE, a few ACCESS EXCLUSIVE
    assert effects_of_last(sql + "ALTER TABLE base SET (fillfactor = 70);") == {("base", "SHARE_UPDATE_EXCLUSIVE", False)}
    assert effects_of_last(sql + "ALTER TABLE base SET (user_catalog_table = true);") == {("base", "ACCESS_EXCLUSIVE", False)}
    assert effects_of_last("ALTER INDEX gi SET (fastupdate = off);") == {("gi", "ACCESS_EXCLUSIVE", False)}
    # ADD COLUMN IF NOT EXISTS of an existing column: the lock, nothing else
    assert effects_of_last(sql + "ALTER TABLE base ADD COLUMN IF NOT EXISTS id int DEFAULT random();") == {
        ("base", "ACCESS_EXCLUSIVE", False)}
    assert effects_of_last(sql + "ALTER TABLE base ADD COLUMN IF NOT EXISTS z int DEFAULT random();") == {
        ("base", "ACCESS_EXCLUSIVE", True)}
    lt = "SET lock_timeout = '1s';\n"
    assert rules_of(lt + "ALTER TABLE base ADD COLUMN IF NOT EXISTS id int DEFAULT random();", schema=_model(sql)) == []
    # VACUUM may cut empty pages off the end under ACCESS EXCLUSIVE, taken only if free at once
    assert effects_of_last("VACUUM base;") == {("base", "SHARE_UPDATE_EXCLUSIVE", False), ("base", "ACCESS_EXCLUSIVE", False)}
    assert effects_of_last("VACUUM (TRUNCATE false) base;") == {("base", "SHARE_UPDATE_EXCLUSIVE", False)}
    assert rules_of("VACUUM base;") == []  # a lock taken only if free at once needs no lock_timeout


def test_lock_on_a_view_reaches_tables_named_without_columns_and_partition_subtrees():
    sql = ("CREATE TABLE a (x int);\nCREATE TABLE b (y int);\n"
           "CREATE VIEW v AS SELECT (SELECT x FROM a LIMIT 1) FROM b;\n"
           "CREATE TABLE p (k int) PARTITION BY RANGE (k);\n"
           "CREATE TABLE pd PARTITION OF p DEFAULT PARTITION BY RANGE (k);\n"
           "CREATE TABLE pd1 PARTITION OF pd FOR VALUES FROM (100) TO (200);\n"
           "CREATE TABLE q (k int) PARTITION BY RANGE (k);\n"
           "CREATE TABLE q1 PARTITION OF q FOR VALUES FROM (0) TO (5);\n")
    assert effects_of_last(sql + "LOCK TABLE v IN EXCLUSIVE MODE;") == {
        ("v", "EXCLUSIVE", False), ("public.a", "EXCLUSIVE", False), ("public.b", "EXCLUSIVE", False)}
    got = effects_of_last(sql + "ALTER TABLE p ATTACH PARTITION q FOR VALUES FROM (0) TO (10);")
    assert {("public.pd1", "ACCESS_EXCLUSIVE", False), ("public.q1", "ACCESS_EXCLUSIVE", False)} <= got

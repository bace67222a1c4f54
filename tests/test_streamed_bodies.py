"""Function and DO bodies of a large file wait as JSON between parsing and linting
(source/parsing.py, TREE_BUDGET): the findings must be the same as when every tree stays
decoded, and the trees must really be dropped."""

import re
from pathlib import Path

import pytest

from conftest import ROOT, lint
from pglint.source import parsing
from pglint.source.text import SourceText

# bodies that exercise every reader of a PL/pgSQL tree: the taint analysis (loops,
# exception blocks, records), expressions PL/pgSQL evaluates itself (= NULL, NOT IN),
# SELECT * in a body, DO blocks and SQL-language bodies
BODIES = """
CREATE TABLE t (id bigint PRIMARY KEY, name text, other_id int);
CREATE FUNCTION f1(p text, q text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record; fmt text := 'DELETE FROM %s';
BEGIN
  FOR r IN SELECT * FROM t LOOP
    FOREACH q IN ARRAY ARRAY['a', p] LOOP
      EXECUTE format(fmt, q) ;
      IF r.name = NULL THEN CONTINUE; END IF;
    END LOOP;
  END LOOP;
  BEGIN
    EXECUTE 'SELECT ' || p;
  EXCEPTION WHEN others THEN
    EXECUTE 'SELECT ' || SQLERRM;
  END;
  IF p NOT IN (SELECT name FROM t) THEN RETURN; END IF;
END $$;
DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN x' || now()::text || ' int'; END $$;
CREATE FUNCTION f2() RETURNS SETOF t LANGUAGE sql AS $$ SELECT * FROM t $$;
CREATE FUNCTION f3(n text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WHILE n IS NOT NULL LOOP
    EXECUTE 'DROP TABLE ' || quote_ident(n);
    n := NULL;
  END LOOP;
  RETURN QUERY EXECUTE 'SELECT ' || n;
END $$;
"""


def _doc_examples() -> str:
    """The SQL examples of the rule pages that hold a function or DO body."""
    out = []
    for page in sorted((ROOT / "rules").glob("*.md")):
        for block in re.findall(r"```sql[^\n]*\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            if re.search(r"\$\$|\bDO\b", block) and "pglint:" not in block:
                out.append(block.strip().rstrip(";") + ";")
    return "\n".join(out)


def _as_tuples(diags):
    return [(d.rule, d.start, d.end, d.message, d.help, d.fix) for d in diags]


@pytest.mark.parametrize("text", [BODIES * 3, _doc_examples()], ids=["bodies", "rule-pages"])
def test_findings_do_not_depend_on_the_budget(text, monkeypatch):
    kept = _as_tuples(lint(text, "big.sql"))
    assert kept, "the input must raise findings for the comparison to mean anything"
    monkeypatch.setattr(parsing, "TREE_BUDGET", 0)
    streamed = _as_tuples(lint(text, "big.sql"))
    assert streamed == kept


def test_trees_past_the_budget_wait_as_json(monkeypatch):
    monkeypatch.setattr(parsing, "TREE_BUDGET", 2000)
    pf = parsing.parse_file(SourceText("big.sql", BODIES * 20))
    bodies = [s for s in pf.statements if s.type in ("CreateFunctionStmt", "DoStmt") and s.body]
    waiting = [s for s in bodies if s._plpgsql is None and s._plpgsql_json is not None]
    decoded = [s for s in bodies if s._plpgsql is not None]
    assert decoded and waiting, (len(decoded), len(waiting))
    assert all(s._node is None for s in waiting)  # the statement's own tree waits too
    s = next(x for x in waiting if x.type == "CreateFunctionStmt")
    assert s.plpgsql is not None and s.plpgsql[0].get("PLpgSQL_function")  # decoded on use
    assert s.embedded  # its SQL statements were embedded at parse time all the same
    s.plpgsql = None  # the engine drops it when done with the body
    assert s.plpgsql is None and s._plpgsql_json is None


def test_the_taint_analysis_leaves_no_reference_cycle():
    """The garbage collector is off while a file is linted: an analysis caught in a
    reference cycle would keep its function's whole PL/pgSQL tree until the file ends."""
    import gc

    from pglint.rules.dynamic_sql_injection import Analysis

    lint(BODIES, "warm-up.sql")  # imports and caches first
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        found = lint(BODIES, "cycles.sql")
        assert any(d.rule == "dynamic-sql-injection" for d in found)
        gc.collect()
        caught = [o for o in gc.garbage if isinstance(o, Analysis)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert caught == []

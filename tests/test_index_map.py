"""The schema model finds a table's indexes through a map kept with the indexes (IndexMap):
it must agree with a sweep over every index after any sequence of changes, through copies,
deep copies and pickling, and through renames that move indexes to a new table name."""

from __future__ import annotations

import copy
import json
import pickle
import random

from pglast.parser import parse_sql_json

from pglint.model.schema import Index, IndexMap, SchemaModel


def sweep(m: IndexMap, table) -> list:
    return sorted(k for k, i in m.items() if i.table == table)


def check(m: IndexMap) -> None:
    for t in {i.table for i in m.values()} | {("s", "t0"), ("s", "t1"), ("s", "t2"), ("s", "t3")}:
        assert sorted(m.keys_of(t)) == sweep(m, t)
        assert sorted(i.key for i in m.of_table(t)) == sweep(m, t)


def test_random_changes_agree_with_a_sweep():
    rnd = random.Random(3)
    m = IndexMap()
    tables = [("s", f"t{n}") for n in range(4)]
    for step in range(3000):
        op = rnd.random()
        key = ("s", f"i{rnd.randrange(40)}")
        if op < 0.5:
            m[key] = Index(key, rnd.choice(tables), ("a",))
        elif op < 0.7:
            m.pop(key, None)
        elif op < 0.8 and key in m:
            del m[key]
        elif op < 0.9:
            old, new = rnd.sample(tables, 2)
            m.retable(old, new)
        else:
            m = rnd.choice([copy.deepcopy(m), pickle.loads(pickle.dumps(m)), IndexMap(m)])
        check(m)
    assert isinstance(m, IndexMap) and len(m) > 5


def test_model_replay_drops_and_renames_by_table():
    model = SchemaModel()
    sql = """CREATE TABLE a (x int, y int); CREATE TABLE b (x int);
             CREATE INDEX a_x ON a (x); CREATE INDEX a_y ON a (y); CREATE INDEX b_x ON b (x);
             ALTER TABLE a RENAME TO c; ALTER TABLE c DROP COLUMN y; DROP TABLE b;"""
    for raw in json.loads(parse_sql_json(sql))["stmts"]:
        ((typ, node),) = raw["stmt"].items()
        model.apply(typ, node, None)
    assert [i.key[1] for i in model.indexes_of(("public", "c"))] == ["a_x"]
    assert model.indexes_of(("public", "a")) == [] and model.indexes_of(("public", "b")) == []
    assert sorted(k[1] for k in model.indexes) == ["a_x"]
    check(model.copy().indexes)

"""The warm path (issue 17): what a run answered from the cache does instead of linting.
Real paths are resolved once per run and agree with os.path.realpath; the JSON report is
written field by field with the same bytes as the json module's encoder gives; results
read back from the cache are the results that were stored."""

import io
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, lint

from pglint.engine.diagnostics import Diagnostic, Edit, Fix
from pglint.engine.results import FileResult
from pglint.engine.runner import RunResult, context_inputs
from pglint.reporters import json_format
from pglint.source.files import Input, discover, realpath_cached


def test_realpath_cached_agrees_with_realpath(tmp_path, monkeypatch):
    (tmp_path / "real" / "migrations").mkdir(parents=True)
    (tmp_path / "real" / "migrations" / "V1__a.sql").write_text("SELECT 1;\n")
    (tmp_path / "real" / "target.sql").write_text("SELECT 2;\n")
    os.symlink(tmp_path / "real", tmp_path / "via-link")  # a directory symlink
    os.symlink(tmp_path / "real" / "target.sql", tmp_path / "real" / "migrations" / "V2__link.sql")
    os.symlink("missing.sql", tmp_path / "real" / "broken.sql")
    os.symlink("loop-b", tmp_path / "loop-a")
    os.symlink("loop-a", tmp_path / "loop-b")
    monkeypatch.chdir(tmp_path)
    paths = [
        "real/migrations/V1__a.sql", "via-link/migrations/V1__a.sql", "via-link/migrations/V2__link.sql",
        "real/migrations/../target.sql", "./real/./migrations/V1__a.sql", "real/broken.sql", "loop-a",
        "no/such/dir/x.sql", "real//migrations//V1__a.sql", "real/migrations/", ".", "/", "V1__a.sql",
        str(tmp_path / "via-link" / "target.sql"),
    ]
    resolved: dict[str, str] = {}
    for _ in range(2):  # the second time from what the first remembered
        for p in paths:
            assert realpath_cached(p, resolved) == os.path.realpath(p), p
    # what the caller says about a symlink is believed (discover knows it from one lstat)
    assert realpath_cached("real/target.sql", {}, link=False) == os.path.realpath("real/target.sql")


def test_discover_and_context_find_what_they_found_before(tmp_path, monkeypatch):
    """One lstat per named file: files, symlinks to files and directories, a broken symlink,
    a directory, a glob and a missing path are told apart as before."""
    d = tmp_path / "db" / "migrations"
    d.mkdir(parents=True)
    for n in ("V1__a.sql", "V2__b.sql", "V3__c.sql", "notes.txt"):
        (d / n).write_text("SELECT 1;\n")
    (d / "sub").mkdir()
    (d / "sub" / "V4__d.sql").write_text("SELECT 1;\n")
    os.symlink(d / "V1__a.sql", tmp_path / "alias.sql")
    os.symlink(d, tmp_path / "dirlink")
    os.symlink("gone.sql", tmp_path / "broken.sql")
    monkeypatch.chdir(tmp_path)
    found = discover(["db/migrations/V2__b.sql", "alias.sql", "broken.sql", "dirlink", "db/migrations/V1__a.sql",
                      "db/*/V3*.sql"])
    # one name per real file (the first given is kept), in migration order
    assert [i.path for i in found] == ["alias.sql", "broken.sql", "db/migrations/V2__b.sql", "dirlink/sub/V4__d.sql",
                                       "dirlink/V3__c.sql"]
    with pytest.raises(Exception, match="no such file"):
        discover(["db/migrations/missing.sql"])
    # the other files of a named file's directory give context; those already named do not
    named = discover(["db/migrations/V2__b.sql"])
    extra = context_inputs(named, ("*.sql",), None)
    assert sorted(i.path for i in extra) == ["db/migrations/V1__a.sql", "db/migrations/V3__c.sql"]


def _diagnostic(**kw) -> Diagnostic:
    base = dict(rule="some-rule", code="PG001", severity="warning", message="m", help=None, path="a.sql",
                start=0, end=1, line=1, column=1, end_line=1, end_column=2)
    base.update(kw)
    return Diagnostic(**base)


ODD = [
    _diagnostic(),
    _diagnostic(message='quotes " and \\ and\ttabs\nnewlines \x01 \u2028 é 😀', help="héllo",
                explanation="why: \u00a0 \x7f", path="dir/ünï code.sql"),
    _diagnostic(fix=Fix("Add it", (Edit(3, 5, "x"), Edit(9, 9, "ü\n")), "unsafe"),
                edit_positions=(((1, 4), (1, 6)), ((2, 1), (2, 1)))),
    _diagnostic(fix=Fix("Remove", (Edit(7, 2, ""),), "display-only")),
    _diagnostic(fix=Fix("No positions", (Edit(0, 4, "y"),), "safe")),  # made without a source
    _diagnostic(extra={"table_size": 12345, "nested": {"a": [1, 2.5, None, True]}, "ü": "ö"}),
    _diagnostic(line=True, column=False),  # not ints: the encoder writes true / false
    _diagnostic(end_column=2.0, fix=Fix("f", (Edit(1, 2, "z"),), "other")),
    _diagnostic(fix=Fix("f", (Edit(True, 2, "z"),)), edit_positions=(((1, 1), (1, 2)),)),
    _diagnostic(fix=Fix("f", (Edit(1, 2, "z"),)), edit_positions=(((1, 1.5), (1, 2)),)),
    _diagnostic(message=None, code=None, explanation=""),
]


def _reference(result) -> str:
    """The report as the json module's encoder writes it, item by item."""
    doc = json_format.document(result)
    enc = json.JSONEncoder(ensure_ascii=False).encode
    out = '{"version": %d, "diagnostics": [' % doc["version"]
    out += "".join(("," if i else "") + "\n  " + enc(d) for i, d in enumerate(doc["diagnostics"]))
    out += "\n]" if doc["diagnostics"] else "]"
    for k, v in doc.items():
        if k not in ("version", "diagnostics"):
            out += f', "{k}": ' + enc(v)
    return out + "}\n"


def _rendered(result) -> str:
    out = io.StringIO()
    json_format.render(result, out, {})
    return out.getvalue()


@pytest.mark.parametrize("diags", [ODD, [], [ODD[1]] * 3])
def test_json_report_has_the_encoders_bytes(diags):
    result = RunResult([FileResult("a.sql", 3, list(diags), notes=["a note é"]), FileResult("b.sql")])
    result.elapsed = 0.5
    assert _rendered(result) == _reference(result)
    json.loads(_rendered(result))


def test_json_report_of_real_findings_has_the_encoders_bytes():
    sql = (ROOT / "fixtures" / "demo").glob("*.sql")
    files = []
    for p in sorted(sql):
        files.append(FileResult(p.name, 1, lint(p.read_text(encoding="utf-8"), p.name)))
    result = RunResult(files)
    assert sum(len(f.diagnostics) for f in files) > 5 and any(d.fix for f in files for d in f.diagnostics)
    assert _rendered(result) == _reference(result)


def test_results_read_back_from_the_cache_are_the_results_stored():
    from pglint.engine.cache import pack, unpack

    full = _diagnostic(fix=Fix("Add it", (Edit(3, 5, "x"), Edit(9, 9, "ü\n")), "unsafe"),
                       edit_positions=(((1, 4), (1, 6)), ((2, 1), (2, 1))), statement=4,
                       source_lines=("CREATE INDEX i", "ON t (a);"), statement_text="CREATE INDEX i ON t (a)",
                       relation="public.t", extra={"k": [1, "v"]}, statement_start=10, statement_position=(2, 3),
                       rollback=True, explanation="why")
    results = [FileResult("a.sql", 7, [full, *ODD], ["a note"], None, True, "digest", True),
               FileResult("b.sql", 0, [], [], "not valid UTF-8", False, None, False)]
    back = unpack(pack(results))
    assert back == results
    assert all(type(d) is Diagnostic for f in back for d in f.diagnostics)
    assert type(back[0].diagnostics[0].fix) is Fix and type(back[0].diagnostics[0].fix.edits[1]) is Edit


def test_a_repeated_string_is_stored_once():
    from pglint.engine.cache import pack

    why = "An explanation that every finding of this rule repeats. " * 20
    diags = [_diagnostic(start=i, explanation="".join(why)) for i in range(200)]  # equal strings, distinct objects
    assert len({id(d.explanation) for d in diags}) == 200
    assert len(pack([FileResult("a.sql", 1, diags)])) < 2 * len(why) + 200 * 200


def test_a_cache_of_an_earlier_schema_is_not_read(tmp_path):
    """Entries of the pickled-objects schema (results_v2) are dropped, never misread."""
    import sqlite3

    from pglint.engine.cache import TABLE, Cache

    db = sqlite3.connect(tmp_path / "results.sqlite")
    db.execute("CREATE TABLE results_v2 (key TEXT PRIMARY KEY, code TEXT, used REAL, value BLOB)")
    db.execute("INSERT INTO results_v2 VALUES ('k', 'c', 1e12, x'00')")
    db.commit()
    db.close()
    cache = Cache(str(tmp_path), "c")
    assert cache.get_many(["k"]) == {}
    cache.close()
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {TABLE}


def test_what_the_cache_reads_is_left_old_for_the_collector(tmp_path):
    """Reading pauses the collector and leaves the results in its oldest generation: the
    next young collection does not traverse the hundreds of thousands of objects read."""
    import gc

    from pglint.engine.cache import Cache

    cache = Cache(str(tmp_path), "c")
    cache.put_many({"k": [FileResult("a.sql", 1, [_diagnostic(start=i, extra={"i": [i]}) for i in range(5000)])]})
    assert gc.isenabled()
    got = cache.get_many(["k"])
    young = gc.get_count()[0]
    assert gc.isenabled() and len(got["k"][0].diagnostics) == 5000
    assert young < 1000, young  # 5,000 diagnostics hold over 10,000 tracked objects
    cache.close()

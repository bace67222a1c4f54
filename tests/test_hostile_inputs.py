"""Any input bytes, through the real command line (in-process) and the real file reading:
exit 0 or 1 (2 only for usage errors, never for these valid paths), no traceback and no
internal error, every input file in the summary, positions inside the file, statement spans
that are the statement's text. Inputs: corpus statements cut, spliced and mutated with every
mutation kind the hardening issue lists (tests/fuzz_inputs.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import CORPUS
from fuzz_inputs import (FRAGMENTS, MUTATIONS, check_spans, corpus_seeds, hostile_sql, last_token_ends_the_span,
                         mutate, nesting)
from pglint.source.files import decode
from pglint.source.parsing import parse_file
from pglint.source.text import SourceText

SEEDS = corpus_seeds(CORPUS if CORPUS.is_dir() else None)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def cli(*args: str) -> tuple[int, str, str]:
    from pglint.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def check_files(tmp_path, files: dict[str, bytes], *extra: str) -> dict:
    """Write ``files``, lint their directory with the real CLI; check the documented contract."""
    d = Path(tempfile.mkdtemp(dir=tmp_path, prefix="run"))
    for name, data in files.items():
        (d / name).write_bytes(data)
    rc, out, err = cli("--isolated", "--no-cache", "--format", "json", *extra, str(d))
    assert "Traceback" not in out + err and "internal error" not in err, err
    assert rc in (0, 1), (rc, err)
    doc = json.loads(out)
    assert doc["summary"]["files"] == len(files)
    # every file: either linted or reported unreadable, each with positions inside it
    unreadable = {d_["path"] for d_ in doc["diagnostics"] if d_["rule"] == "unreadable-file"}
    assert doc["summary"]["unreadable_files"] == len(unreadable)
    for dg in doc["diagnostics"]:
        name = os.path.basename(dg["path"])
        assert name in files, dg["path"]
        src, why = decode(files[name], name)
        if src is None:
            assert dg["rule"] == "unreadable-file" and why in dg["message"]
            continue
        n_lines = len(_LINE_BREAK.split(src.text))
        assert 1 <= dg["line"] <= dg["end_line"] <= n_lines, (dg, n_lines)
        assert dg["column"] >= 1 and dg["end_column"] >= 1
        if dg["line"] == dg["end_line"]:
            assert dg["end_column"] >= dg["column"]
    for name, data in files.items():
        src, _ = decode(data, name)
        if src is not None:
            check_spans(src)
    return doc


def test_seeds_come_from_the_corpus(corpus):
    """The fuzzing starts from real migrations (under CI the corpus must be there)."""
    assert len(SEEDS) >= 500
    assert len({s[:40] for s in SEEDS}) > 400


def test_every_mutation_kind_is_generated():
    from hypothesis import find

    for kind in MUTATIONS:
        data, applied = find(hostile_sql(FRAGMENTS), lambda x, k=kind: k in x[1])
        assert kind in applied


@pytest.mark.parametrize("kind", MUTATIONS)
def test_each_mutation_kind_changes_the_input_as_named(kind):
    rnd = random.Random(7)
    base = b"CREATE TABLE t (a text);\nINSERT INTO t VALUES ('x');\n"
    out = mutate(base, kind, rnd, b"SELECT 2;\n")
    checks = {
        "nul": lambda o: b"\x00" in o,
        "invalid-utf8": lambda o: decode(o, "x")[0] is None,
        "crlf": lambda o: b"\r\n" in o,
        "lone-cr": lambda o: re.search(rb"\r(?!\n)", o) is not None,
        "bom-middle": lambda o: b"\xef\xbb\xbf" in o[1:],
        "long-line": lambda o: max(len(x) for x in re.split(rb"\r\n|\r|\n", o)) >= 100_000,
        "deep-nesting": lambda o: len(o) > len(base) + 50,
        "cut": lambda o: base.startswith(o),
    }
    assert out != base or kind in ("cut", "splice")
    if kind in checks:
        assert checks[kind](out), out[:200]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(st.data())
def test_mutated_files_through_the_cli(corpus, tmp_path, data):
    n = data.draw(st.integers(1, 3))
    files = {}
    for k in range(n):
        content, kinds = data.draw(hostile_sql(SEEDS))
        for kind in kinds:
            event(kind)
        files[f"V{k + 1}__m{k}.sql"] = content
    check_files(tmp_path, files)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=3))
def test_arbitrary_bytes_files_through_the_cli(tmp_path, blobs):
    check_files(tmp_path, {f"{k:03d}_x.sql": b for k, b in enumerate(blobs)}, "--no-history")


@pytest.mark.parametrize("kind", range(8))
def test_deep_nesting_of_every_shape(tmp_path, kind):
    """20,000 levels of parentheses, arrays, comments, CASE, subqueries, PL/pgSQL blocks, unary
    operators: a syntax-error diagnostic or a clean parse, and the next statement is still linted."""
    doc = check_files(tmp_path, {"deep.sql": nesting(kind, 20_000) + b"CREATE INDEX i ON t (a);\n"})
    rules = [d["rule"] for d in doc["diagnostics"]]
    if kind != 1:  # an unclosed parenthesis swallows the rest of the file
        assert "index-not-concurrent" in rules, rules


def test_each_mutation_kind_on_its_own(tmp_path):
    """Every kind applied to every fragment (a deterministic sweep next to the random search)."""
    rnd = random.Random(1)
    files = {}
    for k, kind in enumerate(MUTATIONS):
        for j, frag in enumerate(FRAGMENTS[:: 3]):
            data = mutate(frag * 3, kind, rnd, FRAGMENTS[(j + 5) % len(FRAGMENTS)])
            if kind == "long-line" and len(data) > 400_000:
                continue
            files[f"{k:02d}_{j:02d}_{kind}.sql"] = data
    doc = check_files(tmp_path, files, "--no-history")
    assert doc["summary"]["unreadable_files"] >= 2  # the NUL and invalid UTF-8 ones, at least


# -- span defects found by the fuzz target (pglint/source/spans.py) -------------------------------

@pytest.mark.parametrize("text", [
    "SELECT 1\n-- the end;",  # the last statement, unterminated, then a comment holding a semicolon
    "SELECT 1 -- c\n; SELECT 2;",  # a comment before the semicolon
    "SELECT 'é' /* tail */ ;",
    "SELECT 1;\n/* lead */ SELECT 2 /* tail */;",
    "DO $$ BEGIN DELETE FROM t -- c\n; END $$;",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM t /* c */ ; SELECT 1 -- x\n$$;",
])
def test_spans_end_at_the_last_token_on_both_parsing_paths(text):
    """The whole-file parse (no psql syntax) and the lexer path give the same spans, and
    neither counts a trailing comment as part of the statement."""
    fast = parse_file(SourceText("x.sql", text))
    lexed = parse_file(SourceText("x.sql", text), force_lexer=True)
    spans = [(s.start, s.end) for s in fast.all_statements()]
    assert spans == [(s.start, s.end) for s in lexed.all_statements()]
    for s in fast.all_statements():
        last_token_ends_the_span(fast.sql[s.start:s.end])


def test_begin_atomic_statements_have_their_own_spans():
    text = ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
            "  SELECT CASE WHEN 1 > 0 THEN (11 + 22) END;\n  DELETE FROM t WHERE a = 1 -- x\n;\nEND;")
    pf = parse_file(SourceText("x.sql", text))
    assert [pf.sql[s.start:s.end] for s in pf.all_statements()][1:] == [
        "SELECT CASE WHEN 1 > 0 THEN (11 + 22) END", "DELETE FROM t WHERE a = 1"]


def test_fix_at_the_end_of_a_statement_followed_by_a_comment(tmp_path):
    """The NOT VALID fix goes after the statement's last token, not into the comment after it."""
    f = tmp_path / "m.sql"
    f.write_text("SET lock_timeout = '1s';\nALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES u (id)\n"
                 "-- trailing comment\n")
    rc, out, err = cli("--isolated", "--no-cache", "--diff", "--unsafe-fixes", str(f))
    assert "not applied" not in err, err
    assert "+ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES u (id) NOT VALID;" in out

"""Rules that declare what a file must hold (engine/prefilter.py) are skipped in other files:
the skip must never drop a finding, and must really skip (no module import, no call)."""

import json
import os
import subprocess
import sys

import pytest

from conftest import CORPUS, IN_CI, ROOT, lint
from pglint.engine import prefilter
from pglint.engine.prefilter import FileFacts, long_identifier_possible, may_hold_long_identifier
from pglint.engine.registry import all_rules
from test_rule_docs import _examples

CONDITIONAL = sorted(name for name, r in all_rules().items() if r.needs)


def test_some_rules_declare_needs():
    assert {"identifier-too-long", "dynamic-sql-injection", "select-star", "null-comparison",
            "not-in-subquery"} <= set(CONDITIONAL)


def _parsed(sql: str):
    from pglint.engine.checker import parse_source
    from pglint.engine.runner import make_options
    from pglint.config.settings import Settings
    from pglint.source.text import SourceText

    return parse_source(SourceText("x.sql", sql), make_options(Settings()))


@pytest.mark.parametrize("rule,kind,options,code", [p for p in _examples() if p.values[0] in CONDITIONAL
                                                    and p.values[1] == "bad"])
def test_every_bad_example_meets_its_rules_needs(rule, kind, options, code):
    assert FileFacts(_parsed(code)).meets(all_rules()[rule].needs)


@pytest.mark.parametrize("text,expected", [
    ("SELECT 1;", False),
    ("CREATE TABLE " + "a" * 63 + " ();", False),
    ("CREATE TABLE " + "a" * 64 + " ();", True),
    ('CREATE TABLE "' + "with space " * 6 + '" ();', True),  # 66 characters, quoted, with spaces
    ("CREATE TABLE " + "é" * 32 + " ();", True),  # 32 characters, 64 bytes in UTF-8
    ("CREATE TABLE " + "é" * 31 + " ();", False),
    ("CREATE TABLE t(" + "x" * 40 + "," + "y" * 40 + " int);", False),  # long run, short names
    ("SELECT '" + "-" * 100 + "';", False),  # a long run that holds no name
    # PostgreSQL separates tokens by ASCII whitespace only: U+00A0 is part of the name
    ("CREATE TABLE " + "a" * 40 + "\u00a0" + "b" * 40 + " (id int);", True),
    ('CREATE TABLE "' + "a" * 10 + "\n" + "b" * 60 + '" (id int);', True),  # a newline in a quoted name
    ('CREATE TABLE "' + " ".join(["\U0001F600" * 4] * 4) + '" (id int);', True),  # 19 characters, 67 bytes
])
def test_long_identifier_possible(text, expected):
    assert long_identifier_possible(text) is expected


_LONG_QUOTED = '"' + "n" * 70 + '"'


@pytest.mark.parametrize("text,expected", [
    ("SELECT 1", False),
    ("CREATE TABLE " + "a" * 64 + " ()", True),
    ("CREATE TABLE " + "a" * 63 + " ()", False),
    ('CREATE TABLE "x" (' + '"y" int, ' * 20 + ")", False),  # many short quoted names
    ("CREATE TABLE " + _LONG_QUOTED + " ()", True),
    # a stray quote before the name (in a comment, in a string) shifts any pairing from the left
    ('CREATE TABLE /* " */ ' + _LONG_QUOTED + " ()", True),
    ("CREATE TABLE t (c text DEFAULT '\"', d int REFERENCES " + _LONG_QUOTED + ")", True),
    ('CREATE TABLE "' + '""' * 3 + "n" * 61 + '" ()', True),  # leading doubled quotes: 3 + 61 characters
    ('CREATE TABLE "' + "n" * 61 + '""' * 3 + '" ()', True),  # trailing ones
    ('CREATE TABLE "' + 'abc""' * 16 + '" ()', True),  # doubled quotes all along: 64 characters
    ('CREATE TABLE "' + " ".join(["\U0001F600" * 4] * 4) + '" ()', True),  # 19 characters, 67 bytes
    ("CREATE TABLE " + "a" * 40 + "\u00a0" + "b" * 40 + " ()", True),
])
def test_may_hold_long_identifier_never_misses_a_name(text, expected):
    """The per-statement test of identifier-too-long: a necessary condition (True for every
    statement holding a long name; False allowed only where none can be)."""
    assert may_hold_long_identifier(text) is expected


def test_identifier_too_long_finds_a_quoted_name_after_a_stray_quote():
    diags = lint("CREATE TABLE t (c text DEFAULT '\"');\n-- a \" in a comment\n"
                 "CREATE TABLE " + _LONG_QUOTED + " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);")
    assert [(d.rule, d.line) for d in diags if d.rule == "identifier-too-long"] == [("identifier-too-long", 3)]


@pytest.mark.parametrize("name", [
    "a" * 40 + "\u00a0" + "b" * 40,
    '"' + "a" * 10 + "\n" + "b" * 60 + '"',
    '"' + " ".join(["\U0001F600" * 4] * 4) + '"',
])
def test_identifier_too_long_reports_names_the_scanner_sees_as_one(name):
    diags = lint(f"CREATE TABLE {name} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);")
    assert [d.rule for d in diags] == ["identifier-too-long"]


def test_a_file_without_what_a_rule_needs_never_imports_it():
    code = ("import sys; from conftest import lint; lint('UPDATE t SET a = 1 WHERE b = 2;'); "
            "print(' '.join(m for m in sys.modules if m.startswith('pglint.rules.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "tests",
                         check=True).stdout.split()
    for name in ("null_comparison", "select_star", "not_in_subquery", "identifier_too_long"):
        assert f"pglint.rules.{name}" not in out


def test_needs_are_checked_when_a_rule_is_defined():
    from pglint.engine.registry import Rule

    with pytest.raises(ValueError):
        Rule("PG999", "x", summary="x", needs=("@no-such-fact",))
    with pytest.raises(ValueError):
        Rule("PG999", "x", summary="x", needs=("NULL",))  # words are matched in lower case


def _without_prefilter(monkeypatch):
    monkeypatch.setattr(prefilter.FileFacts, "meets", lambda self, needs: True)


def test_the_fixtures_give_the_same_findings_with_and_without_the_skip(monkeypatch):
    files = [os.path.join(r, f) for r, _, fs in os.walk(ROOT / "fixtures") for f in fs if f.endswith(".sql")]
    texts = {}
    for p in sorted(files):
        try:
            with open(p, encoding="utf-8") as fh:
                texts[p] = fh.read()
        except UnicodeDecodeError:
            continue
    with_skip = {p: [(d.rule, d.start, d.message) for d in lint(t, p)] for p, t in texts.items()}
    _without_prefilter(monkeypatch)
    without = {p: [(d.rule, d.start, d.message) for d in lint(t, p)] for p, t in texts.items()}
    assert with_skip == without
    assert sum(map(len, with_skip.values())) > 50


@pytest.mark.corpus
def test_corpus_projects_give_the_same_findings_with_and_without_the_skip(tmp_path):
    """Three corpus projects rich in functions, stars and NULLs, linted with the skip and
    with it switched off (PGLINT_TEST_NO_PREFILTER, read by this test's own runner)."""
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"the corpus is required under CI and missing at {CORPUS}")
        pytest.skip("../shared/corpus is not present")
    projects = [p for p in ("pg_partman", "lemmy", "synapse") if (CORPUS / p).is_dir()]
    assert projects
    runner = ("import sys; from pglint.engine import prefilter\n"
              "if sys.argv[1] == 'off': prefilter.FileFacts.meets = lambda self, needs: True\n"
              "from pglint.cli import main; sys.exit(main(sys.argv[2:]))")
    outs = {}
    for mode in ("on", "off"):
        out = tmp_path / f"{mode}.json"
        p = subprocess.run([sys.executable, "-c", runner, mode, "--no-cache", "--isolated", "--format", "json",
                            "-o", str(out), *[str(CORPUS / x) for x in projects]], capture_output=True, text=True)
        assert p.returncode in (0, 1), p.stderr
        outs[mode] = json.loads(out.read_text(encoding="utf-8"))["diagnostics"]
    assert outs["on"] == outs["off"]
    assert len(outs["on"]) > 100

"""Messages that fit (issue 20): the first line of every finding is one sentence of at most
120 characters that says what is wrong and where; the why (what the lock blocks, what
breaks) is the finding's ``explanation``, which reporters show once per rule.

Checked on every rule page's examples, on the fixture trees and on the whole corpus."""

import json
import re
import subprocess

import pytest
from test_rule_docs import _examples

from conftest import ROOT, lint
from pglint.engine.registry import all_rules

MAX = 120
# quoted text (a name, PostgreSQL's own words, a template placeholder) is not prose: a dot
# or a semicolon inside it does not end a sentence
_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'|`[^`]*`|\{\{.*?\}\}|\([^()]*\)')
# a sentence ends at . ; ! or ? followed by a space (not an ellipsis: "INSERT ... ON")
_SENTENCE_END = re.compile(r"(?<!\.)[.;!?](?!\.)\s")


def shape_problems(message: str) -> list[str]:
    """What is wrong with a finding's first line ([] when it fits)."""
    out = []
    if "\n" in message or "\r" in message:
        out.append("more than one line")
    if len(message) > MAX:
        out.append(f"{len(message)} characters (at most {MAX})")
    prose = _QUOTED.sub("x", _QUOTED.sub("x", message))
    if _SENTENCE_END.search(prose):
        out.append("more than one sentence")
    if not message.strip():
        out.append("empty")
    return out


@pytest.mark.parametrize("message,problems", [
    ("DROP INDEX foo takes an ACCESS EXCLUSIVE lock on table bar", []),
    ("INSERT ... ON CONFLICT ON CONSTRAINT c_key names the renamed constraint", []),
    ('Syntax error at or near "x. y"', []),
    ("Table t has no primary key. Logical replication fails", ["more than one sentence"]),
    ("Table t has no primary key; logical replication fails", ["more than one sentence"]),
    ("first\nsecond", ["more than one line"]),
    ("x" * 121, ["121 characters (at most 120)"]),
])
def test_the_shape_check_itself(message, problems):
    assert shape_problems(message) == problems


def _bad(diags, where):
    return [f"{where}: {d.rule}: {shape_problems(d.message)}: {d.message!r}"
            for d in diags if shape_problems(d.message)]


def test_rule_page_examples():
    """Every bad example of every rule page (each rule's own words, at least once)."""
    bad, seen = [], set()
    for p in _examples():
        rule, kind, options, code = p.values
        options = dict(options)
        if not all_rules()[rule].default:
            options["extend-select"] = [rule]
        if options.pop("complete-history", False):
            from pglint.model.schema import SchemaModel

            diags = lint(code, "example.sql", schema=SchemaModel(), **options)
        else:
            diags = lint(code, "example.sql", **options)
        seen.update(d.rule for d in diags)
        bad += _bad(diags, p.id)
    assert bad == [], "\n".join(bad)
    assert len(seen) > 50  # the examples did run


def test_explanation_is_the_why_not_the_message():
    """A rule that explains its finding says something the first line does not."""
    diags = lint("ALTER TABLE accounts ADD CONSTRAINT fk FOREIGN KEY (org) REFERENCES orgs (id);\n"
                 "CREATE INDEX accounts_email ON accounts (email);\nDROP TABLE old_stuff;\n")
    assert {d.rule for d in diags} >= {"constraint-without-not-valid", "index-not-concurrent", "drop-table"}
    for d in diags:
        assert not shape_problems(d.message), d.message
        if d.rule in ("constraint-without-not-valid", "index-not-concurrent", "drop-table"):
            assert d.explanation and d.explanation not in d.message and len(d.explanation) > 40, d


def _json_run(pglint_exe, tmp_path, *paths):
    out = tmp_path / "r.json"
    p = subprocess.run([pglint_exe, "--no-cache", "--isolated", "--format", "json", "-o", str(out), *map(str, paths)],
                       capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    return json.loads(out.read_text(encoding="utf-8"))["diagnostics"]


def test_fixture_trees(pglint_exe, tmp_path):
    diags = _json_run(pglint_exe, tmp_path, "--python", ROOT / "fixtures")
    assert any(d["path"].endswith(".py") for d in diags)  # the Alembic and Django fixtures too
    assert len(diags) > 100
    bad = [f"{d['path']}:{d['line']}: {d['rule']}: {shape_problems(d['message'])}: {d['message']!r}"
           for d in diags if shape_problems(d["message"])]
    assert bad == [], "\n".join(bad)


@pytest.mark.corpus
@pytest.mark.slow
def test_whole_corpus(corpus, pglint_exe, tmp_path):
    diags = _json_run(pglint_exe, tmp_path, corpus)
    assert len(diags) > 10000
    bad = [f"{d['path']}:{d['line']}: {d['rule']}: {shape_problems(d['message'])}: {d['message']!r}"
           for d in diags if shape_problems(d["message"])]
    assert bad == [], f"{len(bad)} messages do not fit:\n" + "\n".join(bad[:40])

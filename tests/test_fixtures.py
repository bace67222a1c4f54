"""Fixture files carry their expectations: ``-- expect: rule-a rule-b`` at the end of the line
where each diagnostic starts. Every diagnostic must be expected and every expectation met."""

import re

import pytest

from conftest import ROOT, lint

EXPECT = re.compile(r"--\s*expect:\s*([\w\- ,]+)$")
FILES = sorted((ROOT / "fixtures" / "core").glob("*.sql"))


def expectations(text: str) -> set[tuple[int, str]]:
    out = set()
    for n, line in enumerate(text.splitlines(), 1):
        m = EXPECT.search(line)
        if m:
            for rule in re.split(r"[\s,]+", m.group(1).strip()):
                out.add((n, rule))
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fixture(path):
    text = path.read_text(encoding="utf-8")
    got = {(d.line, d.rule) for d in lint(text, str(path))}
    want = expectations(text)
    assert got == want, f"unexpected: {sorted(got - want)}; missing: {sorted(want - got)}"

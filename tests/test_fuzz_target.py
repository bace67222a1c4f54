"""The fuzz target (fuzz/fuzz_lint.py) runs in the suite without atheris: its check over the
seed inputs it would start from, each with every mutation kind applied, and it must be able to
fail (a broken invariant is reported)."""

from __future__ import annotations

import importlib.util
import random

import pytest

from conftest import CORPUS, ROOT
from fuzz_inputs import FRAGMENTS, MUTATIONS, corpus_seeds, mutate


def load_target():
    spec = importlib.util.spec_from_file_location("fuzz_lint", ROOT / "fuzz" / "fuzz_lint.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fuzz_target_over_its_seeds_and_their_mutations(corpus):
    target = load_target()
    seeds = corpus_seeds(CORPUS, 300, seed=11) + FRAGMENTS
    rnd = random.Random(5)
    for i, s in enumerate(seeds):
        target.check_one(s)
        kind = MUTATIONS[i % len(MUTATIONS)]
        if kind == "long-line" and i % 5:
            continue
        target.check_one(mutate(s, kind, rnd, rnd.choice(seeds)))


def test_fuzz_target_seeds_its_corpus_directory(corpus, tmp_path):
    target = load_target()
    n = target.seed_corpus(tmp_path / "work", limit=50)
    assert n >= 50 and len(list((tmp_path / "work").iterdir())) == n
    assert target.seed_corpus(tmp_path / "work", limit=50) == 0  # never twice


def test_fuzz_target_reports_a_broken_invariant(monkeypatch):
    target = load_target()
    from pglint.engine import checker

    real = checker.lint_source

    def shifted(*a, **k):
        res = real(*a, **k)
        for d in res.diagnostics:
            d.end = d.start + 10_000
        return res

    monkeypatch.setattr(checker, "lint_source", shifted)
    with pytest.raises(AssertionError):
        target.check_one(b"CREATE INDEX i ON t (a);\n")

"""pglint over the whole shared corpus: no traceback, every file accounted for, and no
syntax-error in files PostgreSQL's parser accepts."""

import json
import os
import subprocess

import pytest
from corpus_digest import summarize
from pglast import parser

from conftest import ROOT

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def test_whole_corpus(corpus, pglint_exe, tmp_path):
    out = tmp_path / "report.json"
    p = subprocess.run([pglint_exe, "--no-cache", "--format", "json", "-o", str(out), str(corpus)],
                       capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    assert "Traceback" not in p.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))

    # no finding changed: the same findings, in the same order, as the stored run
    # (tests/data/corpus_findings.json; tests/corpus_digest.py says how to regenerate it
    # after a change that is meant to change findings)
    expected = json.loads((ROOT / "tests" / "data" / "corpus_findings.json").read_text(encoding="utf-8"))
    got = summarize(doc, str(corpus))
    assert got["summary"] == expected["summary"]
    assert got["by_rule"] == expected["by_rule"]
    assert got["digest"] == expected["digest"]

    sql_files = []
    for root, dirs, files in os.walk(corpus):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        sql_files += [os.path.join(root, f) for f in files if f.endswith(".sql") and not f.startswith(".")]
    assert doc["summary"]["files"] == len(sql_files)
    assert doc["summary"]["unreadable_files"] == 1  # collate.windows.win1252.sql is not UTF-8

    syntax = {}
    for d in doc["diagnostics"]:
        if d["rule"] == "syntax-error":
            syntax.setdefault(d["path"], []).append(d)
        assert d["line"] >= 1 and d["column"] >= 1
    parsable_with_errors = []
    for path in syntax:
        try:
            with open(path, encoding="utf-8") as f:
                parser.parse_sql(f.read())
        except Exception:
            continue
        parsable_with_errors.append(path)
    assert parsable_with_errors == []
    # and conversely, every file PostgreSQL rejects whole is either explained or split
    assert len(syntax) < len(sql_files)

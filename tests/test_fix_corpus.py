"""--fix over a copy of the whole corpus: parsable files stay parsable, comments stay, and a
second run changes nothing."""

import collections
import json
import os
import shutil
import subprocess

import pytest
from pglast import parser

from conftest import pglint_path

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def _comments(text):
    try:
        toks = parser.scan(text)
    except parser.ParseError:
        return None
    return collections.Counter(text[t.start:t.end + 1] for t in toks if t.name in ("SQL_COMMENT", "C_COMMENT"))


def _snapshot(root):
    out = {}
    for r, _, files in os.walk(root):
        for f in files:
            if f.endswith(".sql"):
                p = os.path.join(r, f)
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, root)] = fh.read()
    return out


def test_fix_over_the_corpus(corpus, tmp_path):
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    before = _snapshot(work)
    lint = subprocess.run([pglint_path(), "--no-cache", "--format", "json", "."], cwd=work,
                          capture_output=True, text=True, timeout=1800)
    fixable = {os.path.normpath(d["path"]) for d in json.loads(lint.stdout)["diagnostics"]
               if d["fix"] and d["fix"]["applicability"] == "safe"}
    p = subprocess.run([pglint_path(), "--no-cache", "--format", "concise", "--fix", "."], cwd=work,
                       capture_output=True, text=True, timeout=1800)
    assert "Traceback" not in p.stderr and p.returncode in (0, 1)
    after = _snapshot(work)
    changed = [k for k in before if before[k] != after[k]]
    assert changed, "the corpus has fixable findings"
    # only files with a safe fix change (a fix may uncover another in the same file only)
    assert set(changed) <= fixable, sorted(set(changed) - fixable)[:5]
    for k in changed:
        old, new = before[k].decode("utf-8"), after[k].decode("utf-8")
        try:
            parser.parse_sql(old)
        except parser.ParseError:
            pass
        else:
            parser.parse_sql(new)  # raises if a fix broke a file that parsed
        c_old, c_new = _comments(old), _comments(new)
        if c_old is not None and c_new is not None:
            assert not (c_old - c_new), f"{k}: a fix removed a comment"
    q = subprocess.run([pglint_path(), "--no-cache", "--format", "concise", "--fix", "."], cwd=work,
                       capture_output=True, text=True, timeout=1800)
    assert "Fixed 0 problems in 0 files." in q.stderr
    assert _snapshot(work) == after

"""Output people can read on a real tree (issue 20): the summary-first layout on the lemmy
corpus tree (686 files), the last lines that say what to do next, one wording for fixes,
the explanation once per rule, times that are true, and the CLI's help and --exclude."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import Counter

import pytest

from conftest import pglint_path
from pglint.reporters._common import FIX_WORDING

ENV = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "COLUMNS")}


def run(*args, cwd=None, input=None):
    p = subprocess.run([pglint_path(), *args], capture_output=True, text=True, cwd=cwd, env=ENV, input=input,
                       timeout=900)
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    return p


@pytest.fixture(scope="module")
def lemmy_dir():
    from conftest import CORPUS, IN_CI

    d = CORPUS / "lemmy"
    if not d.is_dir():
        if IN_CI:
            pytest.fail(f"the corpus is required under CI and missing at {d}")
        pytest.skip("../shared/corpus/lemmy is not present")
    return d


@pytest.fixture(scope="module")
def lemmy(lemmy_dir):
    """The default output and the JSON report of the lemmy tree, as a new user runs it."""
    before = set(os.listdir(lemmy_dir))
    full = run("--isolated", "--no-cache", ".", cwd=lemmy_dir)
    doc = json.loads(run("--isolated", "--no-cache", "--format", "json", ".", cwd=lemmy_dir).stdout)
    assert set(os.listdir(lemmy_dir)) == before  # nothing written into the corpus
    return full, doc


def test_summary_first_on_a_big_tree(lemmy):
    full, doc = lemmy
    assert full.returncode == 1
    lines = full.stdout.splitlines()
    diags = doc["diagnostics"]
    by_rule = Counter(d["rule"] for d in diags)
    assert len(diags) > 1000  # a tree whose full report would be tens of thousands of lines
    # the first screen: the per-rule table, most frequent first, with counts, fixable counts, summaries
    assert lines[0].split()[:4] == ["rule", "code", "findings", "--fix"]
    from pglint.engine.registry import all_rules

    rules = all_rules()
    header = lines[0]
    ends = [header.index(h) + len(h) for h in ("findings", "--fix", "--unsafe-fixes")]  # right-aligned
    what = header.index("what it checks")
    table = {}
    for line in lines[2:2 + len(by_rule)]:
        m = re.match(r"([a-z0-9-]+)\s+PG\d+", line)
        assert m, line
        cells = [m.group(1)] + [line[a:b].strip() for a, b in zip([m.end()] + ends, ends)] + [line[what:]]
        assert re.fullmatch(r"[a-z0-9-]+", cells[0]) and cells[1].isdigit(), line
        table[cells[0]] = cells
        full_summary = rules[cells[0]].summary
        assert full_summary.startswith(cells[-1].removesuffix("...")), (cells[-1], full_summary)
    assert {r: int(c[1]) for r, c in table.items()} == dict(by_rule)
    safe = Counter(d["rule"] for d in diags if d["fix"] and d["fix"]["applicability"] == "safe")
    unsafe = Counter(d["rule"] for d in diags if d["fix"] and d["fix"]["applicability"] == "unsafe")
    assert {r: int(c[2] or 0) for r, c in table.items()} == {r: safe[r] for r in by_rule}
    assert {r: int(c[3] or 0) for r, c in table.items()} == {r: unsafe[r] for r in by_rule}
    counts = [int(c[1]) for c in table.values()]
    assert counts == sorted(counts, reverse=True)
    assert all(len(line) <= 120 for line in lines[:len(by_rule) + 5])  # the table fits a wide terminal
    # then every finding on one line, grouped by rule, each group headed by the rule and its count
    heads = [(m.group(1), int(m.group(2))) for m in
             re.finditer(r"^([a-z0-9-]+) \(PG\d+\)  (\d+) findings?", full.stdout, re.M)]
    assert dict(heads) == dict(by_rule) and [h[0] for h in heads] == list(table)
    listed = re.findall(r"^  (\./\S+):(\d+):(\d+) (error|warning|info): ", full.stdout, re.M)
    assert len(listed) == len(diags)
    assert Counter((p, int(ln)) for p, ln, _, _ in listed) == Counter((d["path"], d["line"]) for d in diags)
    # one line per finding (the finding-by-finding layout takes 8 or more), plus each rule's
    # explanation once
    assert len(lines) < len(diags) + 3 * len(by_rule) + _explanation_lines(diags) + 60
    # the last lines: the summary with the time, then what to do next
    n = doc["summary"]["fixes"]
    tail = "\n".join(lines[-8:])
    assert re.search(r"^Found \d+ problems .*\(\d+ statements, \d+\.\d\ds\)", tail, re.M)
    assert f"{n['safe']} fixable with `pglint --fix`." in tail
    assert f"{n['unsafe']} more with `pglint --unsafe-fixes`" in tail
    assert "Silence a rule: `--ignore RULE`" in tail and "-- pglint: ignore[RULE]" in tail
    assert "`pglint --no-summary-first`" in tail
    assert lines[-1].startswith("What a rule checks")


def _explanation_lines(diags) -> int:
    """Lines the explanations take when each rule's is printed once (wrapped at 100 columns
    in a file or a pipe, indented by 2)."""
    import textwrap

    first = {}
    for d in diags:
        if d.get("explanation"):
            first.setdefault(d["rule"], d["explanation"])
    return sum(len(textwrap.wrap(e, 98)) + 1 for e in first.values())


def test_finding_by_finding_on_request_and_for_named_files(lemmy, lemmy_dir):
    full, doc = lemmy
    p = run("--isolated", "--no-cache", "--no-summary-first", "--select", "null-comparison,json-column", ".",
            cwd=lemmy_dir)
    assert p.stdout.count("  see: ") == 2 and "  help: " in p.stdout and " | " in p.stdout  # code frames
    # files named one by one: the findings in full, however many
    paths = sorted({d["path"] for d in doc["diagnostics"]})[:40]
    p = run("--isolated", "--no-cache", *paths, cwd=lemmy_dir)
    n = sum(1 for d in doc["diagnostics"] if d["path"] in paths)
    assert n > 60 and p.stdout.count("  see: ") == n and not p.stdout.startswith("rule ")
    assert p.stdout.splitlines()[-1].startswith("What a rule checks")


def test_max_per_rule_and_group_by_file(lemmy, lemmy_dir):
    _, doc = lemmy
    by_rule = Counter(d["rule"] for d in doc["diagnostics"])
    p = run("--isolated", "--no-cache", "--max-per-rule", "3", ".", cwd=lemmy_dir)
    listed = re.findall(r"^  \./\S+:\d+:\d+ (?:error|warning|info): ", p.stdout, re.M)
    assert len(listed) == sum(min(3, n) for n in by_rule.values())
    more = [int(x) for x in re.findall(r"^  \.\.\. (\d+) more \(--max-per-rule 3\)", p.stdout, re.M)]
    assert sum(more) == sum(max(0, n - 3) for n in by_rule.values())
    # the whole report on a few screens: the table, then per rule a head, its explanation, 3
    # findings, "more", a link
    assert len(p.stdout.splitlines()) <= len(by_rule) * (1 + 7) + _explanation_lines(doc["diagnostics"]) + 20
    p = run("--isolated", "--no-cache", "--group-by", "file", ".", cwd=lemmy_dir)
    files = Counter(d["path"] for d in doc["diagnostics"])
    heads = dict((m.group(1), int(m.group(2))) for m in
                 re.finditer(r"^(\./\S+)  \((\d+) findings?\)$", p.stdout, re.M))
    assert heads == dict(files)
    assert re.search(r"^  \d+:\d+ (error|warning|info) [a-z-]+ \(PG\d+\): ", p.stdout, re.M)


def test_threshold_config_key(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.sql").write_text("CREATE INDEX i ON t (c);\nDELETE FROM t;\n")
    p = run("--no-cache", str(tmp_path / "m"), cwd=tmp_path)  # small: finding by finding
    assert "  see: " in p.stdout and not p.stdout.startswith("rule ")
    (tmp_path / "pglint.toml").write_text("summary-first-threshold = 0\n")
    p = run("--no-cache", str(tmp_path / "m"), cwd=tmp_path)
    assert p.stdout.startswith("rule ") and "findings in 1 file, by rule:" in p.stdout
    (tmp_path / "pglint.toml").write_text("summary-first-threshold = false\n")
    p = run("--no-cache", "--max-per-rule", "1", str(tmp_path / "m"), cwd=tmp_path)  # asked for: grouped
    assert p.stdout.startswith("rule ")
    (tmp_path / "pglint.toml").write_text("summary-first-threshold = -3\n")
    p = run("--no-cache", str(tmp_path / "m"), cwd=tmp_path)
    assert p.returncode == 2 and "summary-first-threshold" in p.stderr
    p = run("--isolated", "--no-cache", "--format", "concise", "--summary-first", str(tmp_path / "m"))
    assert p.returncode == 2 and "--format full" in p.stderr


SQL_FIXES = (
    "CREATE TABLE t (id serial PRIMARY KEY, at timestamp);\n"  # unsafe fixes
    "CREATE INDEX i ON users (email);\n"  # safe (in a file run statement by statement)
)


def test_one_wording_for_fixes(tmp_path):
    f = tmp_path / "m.sql"
    f.write_text(SQL_FIXES)
    doc = json.loads(run("--isolated", "--no-cache", "--format", "json", str(f)).stdout)
    kinds = {d["fix"]["applicability"] for d in doc["diagnostics"] if d["fix"]}
    assert {"safe", "unsafe"} <= kinds
    for d in doc["diagnostics"]:
        if d["fix"]:
            assert d["fix"]["how"] == FIX_WORDING[d["fix"]["applicability"]]
    assert doc["summary"]["fixes"] == {k: sum(1 for d in doc["diagnostics"] if d["fix"] and
                                              d["fix"]["applicability"] == k) for k in FIX_WORDING}
    full = run("--isolated", "--no-cache", str(f)).stdout
    concise = run("--isolated", "--no-cache", "--format", "concise", str(f)).stdout
    sarif = json.loads(run("--isolated", "--no-cache", "--format", "sarif", str(f)).stdout)
    sarif_fixes = [x for r in sarif["runs"][0]["results"] for x in r.get("fixes", ())]
    for kind in kinds:
        w = FIX_WORDING[kind]
        assert f"({w})" in full and f"[{w}]" in concise
        assert any(x["description"]["text"].endswith(f"({w})") for x in sarif_fixes)
    for text in (full, concise):
        assert "not applied automatically" not in text and "--fix --unsafe-fixes" not in text
    # the wording is true: --unsafe-fixes alone applies the unsafe fixes
    before = f.read_text()
    run("--isolated", "--no-cache", "--unsafe-fixes", str(f))
    assert f.read_text() != before and "serial" not in f.read_text()


def test_explanation_once_per_rule(tmp_path):
    """A rule's explanation is printed the first time the rule appears in the run, then
    only the short line (the rules fill Diagnostic.explanation)."""
    from pglint.config.settings import Settings
    from pglint.engine.runner import run_paths
    from pglint.reporters import full

    for i in range(3):
        (tmp_path / f"q{i}.sql").write_text("CREATE INDEX i ON users (email);\nDELETE FROM users;\n")
    result = run_paths([str(tmp_path)], Settings(root=str(tmp_path)), history=False)
    for d in result.diagnostics:
        d.explanation = f"Why {d.rule} matters: " + "a long reason " * 20
    import io

    out = io.StringIO()
    full.render(result, out, {"summary_first": False})
    text = out.getvalue()
    rules = {d.rule for d in result.diagnostics}
    assert len(result.diagnostics) >= 2 * len(rules)
    for r in rules:
        assert text.count(f"Why {r} matters") == 1
    assert max(len(line) for line in text.splitlines() if "a long reason" in line) <= full.FILE_WIDTH
    out = io.StringIO()
    full.render(result, out, {"summary_first": True})
    for r in rules:
        assert out.getvalue().count(f"Why {r} matters") == 1


def test_times_are_wall_time_from_process_start(tmp_path):
    (tmp_path / "m").mkdir()
    for i in range(30):
        (tmp_path / "m" / f"{i}.sql").write_text("CREATE INDEX i ON t (c);\n" * 20)
    # the process sleeps 1 s before it becomes pglint (exec keeps the process and its start
    # time): a clock that starts with the process counts that, one that starts at import does not
    args = ["sh", "-c", 'sleep 1; exec "$0" "$@"', pglint_path(), "--format", "json",
            "--cache-dir", str(tmp_path / "c"), str(tmp_path / "m")]
    for _ in range(2):  # the second run is answered by the cache: the time is still the whole run
        t0 = time.perf_counter()
        p = subprocess.run(args, capture_output=True, text=True, env=ENV, cwd=tmp_path)
        wall = time.perf_counter() - t0
        s = json.loads(p.stdout)["summary"]
        t = s["timings"]
        assert s["elapsed"] <= wall
        assert s["elapsed"] >= 1.0, (s, wall)  # from process start, not just the lint's share
        assert t["startup"] > 0 and t["linting"] > 0 and "output" in t
        assert abs(t["startup"] + t["linting"] + t["output"] - s["elapsed"]) < 0.05 + 0.1 * s["elapsed"]
        assert set(t) >= {"reading", "parsing", "history", "rules", "workers"}
    p = subprocess.run([pglint_path(), "--no-cache", "-v", str(tmp_path / "m")], capture_output=True, text=True,
                       env=ENV, cwd=tmp_path)
    m = re.search(r"Time: (\d+\.\d\d)s wall from process start = startup .* rules (\d+\.\d\d)s", p.stderr)
    assert m, p.stderr
    assert re.search(r"\(\d+ statements, " + re.escape(m.group(1)) + r"s\)", p.stdout) or "statements" in p.stdout


def test_help_rule_suggestions_and_exclude(tmp_path):
    h = run("--help").stdout
    for opt in ("--select", "--exclude", "--fix", "--format", "--max-per-rule", "--group-by"):
        assert opt in h
    assert "Commands:" in h and "rules" in h
    p = run("rule", "nosuch")
    assert p.returncode == 2 and "the closest: " in p.stderr and "pglint rules" in p.stderr
    p = run("rule", "lock-timout")
    assert "lock-timeout-missing" in p.stderr.split("closest: ")[1].split(",")[0]
    (tmp_path / "keep").mkdir()
    (tmp_path / "skip").mkdir()
    (tmp_path / "keep" / "a.sql").write_text("DELETE FROM t;\n")
    (tmp_path / "skip" / "b.sql").write_text("DELETE FROM t;\n")
    p = run("--isolated", "--no-cache", "--format", "concise", "--exclude", "skip", ".", cwd=tmp_path)
    assert "a.sql" in p.stdout and "b.sql" not in p.stdout


def test_a_rules_other_explanation_is_printed_too(tmp_path):
    """Once per rule and wording: lock-timeout-missing explains a SHARE lock (reads go on) and
    an ACCESS EXCLUSIVE lock (reads wait) differently; the second must not be hidden."""
    import io

    from pglint.config.settings import Settings
    from pglint.engine.runner import run_paths
    from pglint.reporters import full

    (tmp_path / "a.sql").write_text("CREATE TABLE t (a int);\n")
    (tmp_path / "b.sql").write_text("CREATE INDEX i ON t (a);\n")
    (tmp_path / "c.sql").write_text("ALTER TABLE t ADD COLUMN b int;\n")
    (tmp_path / "d.sql").write_text("ALTER TABLE t ADD COLUMN c int;\n")
    result = run_paths([str(tmp_path)], Settings(root=str(tmp_path)), history=True)
    ltm = [d for d in result.diagnostics if d.rule == "lock-timeout-missing"]
    wordings = {d.explanation for d in ltm}
    assert len(ltm) > len(wordings) >= 2
    out = io.StringIO()
    full.render(result, out, {"summary_first": False})
    flat = " ".join(out.getvalue().split())
    for w in wordings:
        assert flat.count(" ".join(w.split())) == 1

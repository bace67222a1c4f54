"""Output formats (sarif, github, gitlab, junit, full, --statistics), each checked against
the JSON output of the same run over real files (fixtures/, the corpus); SARIF is
validated against the official SARIF 2.1.0 schema."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT

SCHEMA_PATH = Path(os.environ.get("PGLINT_SARIF_SCHEMA", ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"))
IN_CI = bool(os.environ.get("CI"))


def run(exe, *args, cwd=None, env=None, input=None):
    full_env = dict(os.environ)
    full_env.pop("GITHUB_ACTIONS", None)
    full_env.update(env or {})
    p = subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd or ROOT, env=full_env, input=input)
    assert "Traceback" not in p.stdout + p.stderr, p.stderr
    return p


def json_run(exe, *args, cwd=None):
    p = run(exe, "--format", "json", *args, cwd=cwd)
    assert p.returncode in (0, 1), p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def sarif_validator():
    if not SCHEMA_PATH.is_file():
        if IN_CI:
            pytest.fail(f"the SARIF schema is required under CI and missing at {SCHEMA_PATH}")
        pytest.skip("../shared/schemas/sarif-schema-2.1.0.json is not present")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


# RFC 3986 URI-reference characters (jsonschema checks "uri" formats only with extra packages)
_URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


def assert_valid_sarif(validator, doc):
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    run_ = doc["runs"][0]
    for res in run_["results"]:
        for loc in res["locations"]:
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            assert _URI_CHARS.match(uri), uri
    for base in run_.get("originalUriBaseIds", {}).values():
        assert base["uri"].startswith("file:///") and base["uri"].endswith("/")


def _key(d):
    return (d["path"], d["line"], d["column"], d["end_line"], d["end_column"], d["rule"])


# -- SARIF -----------------------------------------------------------------------------

def test_sarif_over_fixtures_validates_and_matches_json(pglint_exe, sarif_validator):
    from pglast import parser

    from pglint import __version__
    from pglint.docs import page_sections, rule_page
    from pglint.engine.registry import all_rules

    p = run(pglint_exe, "--format", "sarif", "fixtures/")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert_valid_sarif(sarif_validator, doc)
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run_ = doc["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "pglint" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    grammar = ".".join(str(x) for x in parser.get_postgresql_version())
    assert driver["properties"]["postgresqlGrammarVersion"] == grammar
    assert run_["columnKind"] == "unicodeCodePoints"
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"

    rules = all_rules()
    assert [r["id"] for r in driver["rules"]] == list(rules)
    for desc in driver["rules"]:
        r = rules[desc["id"]]
        assert desc["shortDescription"]["text"] == r.summary
        assert desc["helpUri"] == r.url
        assert desc["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[r.severity]
        sections = page_sections(rule_page(r.name))
        assert desc["fullDescription"]["text"].startswith(sections["What it flags"])
        # help: the whole page but its title
        assert desc["help"]["markdown"] == rule_page(r.name).split("\n", 1)[1].strip() == desc["help"]["text"]

    expected = json_run(pglint_exe, "fixtures/")["diagnostics"]
    results = run_["results"]
    assert len(results) == len(expected) > 20
    got = []
    for res in results:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        reg = loc["region"]
        got.append((loc["artifactLocation"]["uri"], reg["startLine"], reg["startColumn"], reg["endLine"],
                    reg["endColumn"], res["ruleId"]))
        assert res["partialFingerprints"]["pglintStatementHash/v1"]
    assert Counter(got) == Counter(_key(d) for d in expected)
    # the level and message of each result, in the same order as the JSON output
    for res, d in zip(results, expected):
        assert res["level"] == {"error": "error", "warning": "warning", "info": "note"}[d["severity"]]
        assert res["message"]["text"].startswith(d["message"])


def test_sarif_columns_count_code_points(pglint_exe, sarif_validator):
    path = "fixtures/core/unicode_identifiers.sql"
    doc = json.loads(run(pglint_exe, "--format", "sarif", path).stdout)
    assert_valid_sarif(sarif_validator, doc)
    text = (ROOT / path).read_text(encoding="utf-8").splitlines()
    regions = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"] for r in doc["runs"][0]["results"]}
    reg = regions["add-column-required"]
    line = text[reg["startLine"] - 1]
    # columns index the line as a Python str (code points), end exclusive
    assert line[reg["startColumn"] - 1:reg["endColumn"] - 1].startswith('ADD COLUMN IF NOT EXISTS "straße"')


def _fingerprints(exe, path, fmt="sarif"):
    doc = json.loads(run(exe, "--format", fmt, str(path), cwd=path.parent).stdout)
    if fmt == "gitlab":
        return [(i["check_name"], i["location"]["lines"]["begin"], i["fingerprint"]) for i in doc]
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["partialFingerprints"]["pglintStatementHash/v1"]) for r in doc["runs"][0]["results"]]


MIGRATION = """\
CREATE INDEX users_email_idx ON users (email);
ALTER TABLE users
    ALTER COLUMN email SET NOT NULL;
CREATE INDEX users_email_idx ON users (email);
"""


@pytest.mark.parametrize("fmt", ["sarif", "gitlab"])
def test_fingerprints_survive_edits_above_and_change_with_the_statement(pglint_exe, tmp_path, fmt):
    f = tmp_path / "V7__users.sql"
    f.write_text(MIGRATION)
    before = _fingerprints(pglint_exe, f, fmt)
    assert len(before) >= 4
    prints = [p for _, _, p in before]
    # the two identical CREATE INDEX statements get distinct fingerprints
    assert len(set(prints)) == len(prints)

    # unrelated edits above: comments, blank lines, a harmless statement
    f.write_text("-- V7: users\n\nSELECT 1;\n/* reviewed */\n\n" + MIGRATION)
    moved = _fingerprints(pglint_exe, f, fmt)
    assert [(r, p) for r, _, p in moved] == [(r, p) for r, _, p in before]
    assert [ln for _, ln, _ in moved] == [ln + 5 for _, ln, _ in before]

    # re-indenting the statement keeps them too
    f.write_text(MIGRATION.replace("ALTER TABLE users\n    ALTER", "ALTER TABLE users ALTER"))
    assert {(r, p) for r, _, p in _fingerprints(pglint_exe, f, fmt)} == {(r, p) for r, _, p in before}

    # changing a statement changes its fingerprints, and only those
    f.write_text(MIGRATION.replace("ALTER COLUMN email", "ALTER COLUMN login"))
    changed = _fingerprints(pglint_exe, f, fmt)
    old = {(r, ln): p for r, ln, p in before}
    for rule, line, p in changed:
        if line in (2, 3):
            assert p != old[(rule, line)]
        else:
            assert p == old[(rule, line)]


def _apply_sarif_replacements(text: str, change: dict) -> str:
    """Apply SARIF replacements (1-based lines, code-point columns, end exclusive)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))

    def offset(line, col):
        return starts[line - 1] + col - 1

    reps = []
    for rep in change["replacements"]:
        reg = rep["deletedRegion"]
        reps.append((offset(reg["startLine"], reg["startColumn"]), offset(reg["endLine"], reg["endColumn"]),
                     rep.get("insertedContent", {}).get("text", "")))
    for a, b, new in sorted(reps, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def test_sarif_fixes_from_a_fix_on_a_real_diagnostic(tmp_path, sarif_validator, monkeypatch):
    """A Fix attached to a real diagnostic of a real run (fixes come from the autofix
    work): SARIF gives it as artifactChanges whose regions, applied, give the fixed file."""
    from pglint.config.settings import Settings
    from pglint.engine.checker import _position
    from pglint.engine.diagnostics import Edit, Fix
    from pglint.engine.runner import run_paths
    from pglint.reporters import sarif
    from pglint.source.text import SourceText

    text = "SET lock_timeout = '2s';\n/* Größe ✓ */ CREATE INDEX größe_idx ON users (größe);\n"
    (tmp_path / "V3__idx.sql").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_paths(["V3__idx.sql"], Settings(), statement_text=True)
    [d] = [d for d in result.diagnostics if d.rule == "index-not-concurrent"]
    stmt = text.index("CREATE INDEX")
    assert d.start == stmt and d.statement_text.startswith("CREATE INDEX größe_idx")
    name = text.index("größe_idx")
    d.fix = Fix("Build the index concurrently",
                (Edit(stmt + len("CREATE INDEX "), stmt + len("CREATE INDEX "), "CONCURRENTLY "),
                 Edit(name, name + len("größe_idx"), "IF NOT EXISTS größe_idx")), "unsafe")
    _position(SourceText("V3__idx.sql", text), d)  # what the checker does for every diagnostic
    doc = sarif.document(result)
    assert_valid_sarif(sarif_validator, doc)
    [res] = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "index-not-concurrent"]
    [fix] = res["fixes"]
    assert fix["description"]["text"] == "Build the index concurrently (fixable with --unsafe-fixes)"
    assert fix["properties"]["applicability"] == "unsafe"
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "V3__idx.sql", "uriBaseId": "%SRCROOT%"}
    first = change["replacements"][0]
    col = len("/* Größe ✓ */ CREATE INDEX ") + 1  # code points
    assert first["deletedRegion"] == {"startLine": 2, "startColumn": col, "endLine": 2, "endColumn": col}
    assert first["insertedContent"] == {"text": "CONCURRENTLY "}
    fixed = _apply_sarif_replacements(text, change)
    assert fixed == ("SET lock_timeout = '2s';\n/* Größe ✓ */ CREATE INDEX CONCURRENTLY IF NOT EXISTS "
                     "größe_idx ON users (größe);\n")
    # diagnostics without a fix carry no "fixes"
    assert all("fixes" not in r for r in doc["runs"][0]["results"] if r is not res)


def test_engine_gives_fix_edits_their_positions():
    """A rule reporting a fix through the engine: the checker computes each edit's
    line and column (what SARIF's deletedRegion needs)."""
    from pglint.config.settings import Settings
    from pglint.engine.checker import Dispatch, lint_source
    from pglint.engine.diagnostics import Edit, Fix
    from pglint.engine.registry import Rule
    from pglint.engine.runner import make_options
    from pglint.source.text import SourceText

    rule = Rule("PG998", "test-fix-positions", summary="test", category="meta")

    @rule.on("IndexStmt")
    def check(ctx, node):
        at = ctx.stmt.start + len("CREATE INDEX ")
        ctx.report("index", fix=Fix("add CONCURRENTLY", (Edit(at, at, "CONCURRENTLY "),)))

    opts = make_options(Settings())
    opts.rules = {**opts.rules, rule.name: rule}
    opts.enabled = {rule.name}
    text = "SELECT 'é';\n  CREATE INDEX i ON t (a);\n"
    res = lint_source(SourceText("x.sql", text), opts, Dispatch([rule]), "x.sql")
    [d] = res.diagnostics
    assert d.edit_positions == (((2, 16), (2, 16)),)


def test_statement_text_only_when_the_format_needs_it(tmp_path, monkeypatch):
    from pglint.config.settings import Settings
    from pglint.engine.runner import run_paths

    (tmp_path / "a.sql").write_text("SELECT 1;\nCREATE INDEX i ON t (a);\n")
    monkeypatch.chdir(tmp_path)
    plain = run_paths(["a.sql"], Settings())
    assert all(d.statement_text is None for d in plain.diagnostics)
    rich_ = run_paths(["a.sql"], Settings(), statement_text=True)
    assert {d.statement_text for d in rich_.diagnostics} == {"CREATE INDEX i ON t (a)"}
    assert {d.statement_position for d in rich_.diagnostics} == {(2, 1)}


@pytest.mark.slow
@pytest.mark.corpus
def test_sarif_over_the_whole_corpus_validates(corpus, pglint_exe, sarif_validator, tmp_path):
    out = tmp_path / "corpus.sarif"
    p = run(pglint_exe, "--no-cache", "--format", "sarif", "-o", str(out), ".", cwd=corpus)
    assert p.returncode == 1, p.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert_valid_sarif(sarif_validator, doc)
    expected = json_run(pglint_exe, "--no-cache", ".", cwd=corpus)
    results = doc["runs"][0]["results"]
    assert len(results) == len(expected["diagnostics"]) == expected["summary"]["diagnostics"] > 1000
    assert doc["runs"][0]["properties"]["files"] == expected["summary"]["files"]
    seen = Counter()
    for res in results:
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith(("/", "."))
        seen[(loc["artifactLocation"]["uri"], res["partialFingerprints"]["pglintStatementHash/v1"])] += 1
    assert max(seen.values()) == 1  # no two results of a file share a fingerprint

    # GitLab fingerprints are unique over the whole report (GitLab keeps one per fingerprint)
    gl = json.loads(run(pglint_exe, "--no-cache", "--format", "gitlab", ".", cwd=corpus).stdout)
    assert len(gl) == len(results)
    assert len({i["fingerprint"] for i in gl}) == len(gl)


# -- GitHub workflow commands ------------------------------------------------------------

_CMD = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _unescape_data(s):
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(s):
    return (s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def parse_commands(stdout: str) -> list[dict]:
    """Workflow commands, decoded the way the Actions runner decodes them."""
    out = []
    for line in stdout.splitlines():
        if not line.startswith("::"):
            continue
        m = _CMD.match(line)
        assert m, line
        props = {}
        for part in m.group(2).split(","):
            k, _, v = part.partition("=")
            props[k] = _unescape_property(v)
        out.append({"kind": m.group(1), **props, "message": _unescape_data(m.group(3))})
    return out


def test_github_annotations_added_to_full_output_under_github_actions(pglint_exe, tmp_path):
    p = run(pglint_exe, "fixtures/demo/", env={"GITHUB_ACTIONS": "true"})
    assert p.returncode == 1
    assert "index-not-concurrent (PG101)" in p.stdout and "help:" in p.stdout  # the normal output
    cmds = parse_commands(p.stdout)
    expected = json_run(pglint_exe, "fixtures/demo/")["diagnostics"]
    assert len(cmds) == len(expected) > 3
    for c, d in zip(cmds, expected):
        assert c["kind"] == {"error": "error", "warning": "warning", "info": "notice"}[d["severity"]]
        assert c["file"] == d["path"] and c["title"] == d["rule"]
        assert int(c["line"]) == d["line"] and int(c["endLine"]) == d["end_line"]
        if d["line"] == d["end_line"]:
            assert int(c["col"]) == d["column"] and int(c["endColumn"]) == d["end_column"]
        else:
            assert "col" not in c and "endColumn" not in c
        assert c["message"].startswith(d["message"] + "\nhelp: " + d["help"])
    # an explicit --format turns the extra annotations off; so does running outside Actions
    assert not parse_commands(run(pglint_exe, "--format", "full", "fixtures/demo/",
                                  env={"GITHUB_ACTIONS": "true"}).stdout)
    assert not parse_commands(run(pglint_exe, "fixtures/demo/").stdout)
    # with -o the report goes to the file and the annotations still to stdout
    out = tmp_path / "report.txt"
    op = run(pglint_exe, "-o", str(out), "fixtures/demo/", env={"GITHUB_ACTIONS": "true"})
    assert len(parse_commands(op.stdout)) == len(expected)
    assert "index-not-concurrent (PG101)" in out.read_text(encoding="utf-8")
    assert not parse_commands(out.read_text(encoding="utf-8"))


def test_github_format_escapes_data_and_properties(pglint_exe, tmp_path):
    name = "V1__a,b:c%.sql"
    (tmp_path / name).write_text('CREATE INDEX IF NOT EXISTS i ON "50%_off,x:y" (a);\n'
                                 'CREATE INDEX IF NOT EXISTS j ON "we\nird" (b);\n')
    p = run(pglint_exe, "--format", "github", name, cwd=tmp_path)
    assert p.returncode == 1
    raw = [ln for ln in p.stdout.splitlines() if ln.startswith("::")]
    assert all(ln.startswith("::warning file=V1__a%2Cb%3Ac%25.sql,") for ln in raw)
    cmds = parse_commands(p.stdout)
    expected = json_run(pglint_exe, name, cwd=tmp_path)["diagnostics"]
    assert len(cmds) == len(expected) == 3
    for c, d in zip(cmds, expected):
        assert c["file"] == name
        assert c["message"].split("\nhelp: ")[0] == d["message"]
    assert "50%_off,x:y" in cmds[0]["message"]
    assert "we\nird" in cmds[2]["message"] and "%0A" in raw[2]
    # a span over two lines: no columns (GitHub only takes them on one line)
    assert cmds[2]["line"] == "2" and cmds[2]["endLine"] == "3" and "col" not in cmds[2]


# -- GitLab Code Quality -----------------------------------------------------------------

def test_gitlab_code_quality_report(pglint_exe):
    p = run(pglint_exe, "--format", "gitlab", "fixtures/")
    assert p.returncode == 1
    issues = json.loads(p.stdout)
    expected = json_run(pglint_exe, "fixtures/")["diagnostics"]
    assert isinstance(issues, list) and len(issues) == len(expected) > 20
    for i, d in zip(issues, expected):
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(i)
        assert i["check_name"] == d["rule"]
        assert d["message"] in i["description"]
        assert i["severity"] == {"error": "critical", "warning": "major", "info": "info"}[d["severity"]]
        assert i["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert i["location"]["path"] == d["path"] and not i["location"]["path"].startswith("/")
        assert i["location"]["lines"]["begin"] == d["line"]
        assert i["location"]["lines"]["end"] == max(d["line"], d["end_line"])
        assert re.fullmatch(r"[0-9a-f]{32}", i["fingerprint"])
    assert len({i["fingerprint"] for i in issues}) == len(issues)


# -- JUnit XML ---------------------------------------------------------------------------

def test_junit_one_testcase_per_file_one_failure_per_diagnostic(pglint_exe):
    p = run(pglint_exe, "--format", "junit", "fixtures/")
    assert p.returncode == 1
    root = ET.fromstring(p.stdout)
    doc = json_run(pglint_exe, "fixtures/")
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == doc["summary"]["files"] == int(suite.get("tests")) == int(root.get("tests"))
    per_file = Counter(d["path"] for d in doc["diagnostics"])
    assert int(suite.get("failures")) == len(per_file) == doc["summary"]["files_with_diagnostics"]
    names = [c.get("name") for c in cases]
    assert len(set(names)) == len(names)
    failures = []
    for c in cases:
        fs = c.findall("failure")
        assert len(fs) == per_file.get(c.get("name"), 0)
        for f in fs:
            failures.append((c.get("name"), f.get("type")))
            assert f.get("message") and f.text and f"{c.get('name')}:" in f.text
    assert Counter(failures) == Counter((d["path"], d["rule"]) for d in doc["diagnostics"])
    props = {pr.get("name"): pr.get("value") for pr in suite.find("properties")}
    assert int(props["diagnostics"]) == len(doc["diagnostics"])


def test_junit_stays_well_formed_with_control_characters(pglint_exe, tmp_path):
    (tmp_path / "ctl.sql").write_text('CREATE INDEX k ON "ctl\x01z" (c);\n', encoding="utf-8")
    p = run(pglint_exe, "--format", "junit", "ctl.sql", cwd=tmp_path)
    root = ET.fromstring(p.stdout)  # raises on a character XML 1.0 cannot carry
    msgs = [f.get("message") for f in root.iter("failure")]
    assert any("ctl\ufffdz" in m for m in msgs)


# -- full output, --statistics, terminal hyperlinks -----------------------------------------

def test_full_output_ends_with_a_summary_table(pglint_exe):
    """The finding-by-finding layout ends with a table per rule and severity, with the
    findings each fix kind covers, then the summary line and what to do next."""
    p = run(pglint_exe, "--no-summary-first", "fixtures/")
    doc = json_run(pglint_exe, "fixtures/")
    lines = p.stdout.splitlines()
    head = next(i for i, ln in enumerate(lines)
                if re.match(r"^rule\s+code\s+error\s+warning(\s+info)?\s+findings\s+--fix(\s+--unsafe-fixes)?\s*$", ln))
    has_info = "info" in lines[head].split()
    end = lines[head].index("findings") + len("findings")
    rows = {}
    for ln in lines[head + 2:]:
        parts = ln.split()
        if not parts:
            continue
        if parts[0] == "total":
            total = parts
            break
        rows[parts[0]] = (parts[1], int(ln[:end].split()[-1]))
    by_rule = Counter(d["rule"] for d in doc["diagnostics"])
    assert {r: n for r, (_, n) in rows.items()} == dict(by_rule)
    sev = Counter(d["severity"] for d in doc["diagnostics"])
    want = [str(sev["error"]), str(sev["warning"])] + ([str(sev["info"])] if has_info else [])
    fixes = doc["summary"]["fixes"]
    want += [str(len(doc["diagnostics"])), str(fixes["safe"])] + ([str(fixes["unsafe"])] if fixes["unsafe"] else [])
    assert total[1:] == want
    s = doc["summary"]
    found = next(ln for ln in lines if ln.startswith("Found "))
    assert found.startswith(f"Found {s['diagnostics']} problems")
    assert f"{s['files']} files ({s['statements']} statements, " in found
    assert lines[-1].startswith("What a rule checks")  # the last lines say what to do next


def test_statistics_counts_per_rule(pglint_exe):
    doc = json_run(pglint_exe, "fixtures/")
    by_rule = Counter(d["rule"] for d in doc["diagnostics"])
    p = run(pglint_exe, "--statistics", "fixtures/")
    assert p.returncode == 1
    rows = [ln.split() for ln in p.stdout.splitlines()[:-1]]
    assert {r[2]: int(r[0]) for r in rows} == dict(by_rule)
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)
    assert "help:" not in p.stdout  # no diagnostics, only the counts
    data = json.loads(run(pglint_exe, "--statistics", "--format", "json", "fixtures/").stdout)
    assert {r["rule"]: r["count"] for r in data} == dict(by_rule)
    assert all(set(r) >= {"code", "rule", "count", "severity", "fixable"} for r in data)
    bad = run(pglint_exe, "--statistics", "--format", "sarif", "fixtures/")
    assert bad.returncode == 2 and "--statistics" in bad.stderr


def test_full_output_links_each_diagnostic_to_its_rule_page(pglint_exe):
    from pglint.engine.registry import all_rules

    p = run(pglint_exe, "--color", "fixtures/demo/")
    doc = json_run(pglint_exe, "fixtures/demo/")
    # OSC 8 hyperlinks: ESC ] 8 ; params ; URL ESC \
    links = re.findall(r"\x1b\]8;[^;]*;([^\x1b]*)\x1b\\", p.stdout)
    for d in doc["diagnostics"]:
        assert all_rules()[d["rule"]].url in links
    heads = re.findall(r"\x1b\]8;[^;]*;([^\x1b]+)\x1b\\(?:\x1b\[[0-9;]*m)*([a-z-]+) \((PG\d+)\)", p.stdout)
    assert Counter((u.rsplit("/", 1)[1], n) for u, n, _ in heads) >= Counter(
        (f"{d['rule']}.md", d["rule"]) for d in doc["diagnostics"])
    plain = run(pglint_exe, "fixtures/demo/")  # not a terminal: no escape codes at all
    assert "\x1b" not in plain.stdout


# -- progress bar --------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.corpus
def test_progress_bar_on_a_terminal_only(corpus, pglint_exe, tmp_path):
    import pty
    import select

    master, slave = pty.openpty()
    # (never in CI: the bar is for a person at a terminal, tests/test_progress.py checks that)
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CI")}
    env.update(TERM="xterm-256color", COLUMNS="120")
    p = subprocess.Popen([pglint_exe, "--no-cache", "--format", "json", "-o", str(tmp_path / "r.json"), str(corpus)],
                         stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    buf = b""
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        buf += chunk
    p.wait(timeout=120)
    os.close(master)
    out = buf.decode("utf-8", "replace")
    assert p.returncode == 1
    files = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["files"]
    assert "linting" in out and re.search(rf"\d+/{files}", out), out[-500:]
    assert "Traceback" not in out
    # the same run with stderr not a terminal: nothing on stderr
    q = run(pglint_exe, "--format", "json", "-o", str(tmp_path / "r2.json"), str(corpus))
    assert q.returncode == 1 and q.stderr == ""


# -- odd inputs --------------------------------------------------------------------------

FORMATS = ["full", "concise", "json", "sarif", "github", "gitlab", "junit", "html"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reports_odd_inputs_without_a_traceback(pglint_exe, tmp_path, fmt, sarif_validator):
    """A file name that is not UTF-8, one with URI-special characters, a binary file, a
    syntax error, an unused suppression; to stdout and to a file (-o); from stdin."""
    d = tmp_path / "db"
    d.mkdir()
    odd = os.fsencode(str(d)) + b"/bad\xffname.sql"
    with open(odd, "wb") as fh:
        fh.write(b"CREATE INDEX i ON t (a);\n")
    (d / "sp ace#1?.sql").write_text("CREATE INDEX j ON t (b);")
    (d / "bin.sql").write_bytes(b"\x00\x01")
    (d / "syn.sql").write_text("SELEC 1;\n-- pglint: ignore[index-not-concurrent]\nSELECT 2;\n")
    expected = json_run(pglint_exe, "db", cwd=tmp_path)["summary"]["diagnostics"]
    assert expected >= 6
    p = run(pglint_exe, "--format", fmt, "db", cwd=tmp_path)
    assert p.returncode == 1 and p.stderr == "", p.stderr
    out = tmp_path / f"report.{fmt}"
    q = run(pglint_exe, "--format", fmt, "-o", str(out), "db", cwd=tmp_path)
    assert q.returncode == 1 and q.stderr == "", q.stderr
    text = out.read_text(encoding="utf-8")
    assert text.strip()
    if fmt == "sarif":
        doc = json.loads(text)
        assert_valid_sarif(sarif_validator, doc)
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
        assert {"db/bad%FFname.sql", "db/sp%20ace%231%3F.sql", "db/bin.sql", "db/syn.sql"} <= uris
        assert len(doc["runs"][0]["results"]) == expected
    elif fmt == "gitlab":
        assert len(json.loads(text)) == expected
    elif fmt == "junit":
        assert len(list(ET.fromstring(text).iter("failure"))) == expected
    elif fmt == "github":
        assert len(parse_commands(text)) == expected
    s = run(pglint_exe, "--format", fmt, "-", "--stdin-filename", "db/x.sql", input="CREATE INDEX i ON t (a);\n")
    assert s.returncode == 1 and s.stderr == ""


@pytest.mark.parametrize("fmt,heavy", [("concise", set()), ("json", set()), ("sarif", set()), ("github", set()),
                                       ("gitlab", set()), ("junit", set()), ("html", {"jinja2"}),
                                       ("full", {"rich"})])
def test_heavy_libraries_load_only_for_the_format_that_needs_them(fmt, heavy):
    code = ("import io, sys, contextlib\nfrom pglint.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = main(['--format', '{fmt}', 'fixtures/demo/V2__add_email_lookup.sql'])\n"
            "print(rc, sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'jinja2'}))\n")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    rc, loaded = p.stdout.split(" ", 1)
    assert rc == "1" and set(json.loads(loaded.replace("'", '"'))) == heavy, p.stdout + p.stderr

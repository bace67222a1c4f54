"""The HTML report, opened in a real headless chromium: it renders, it loads nothing from
outside, its one inline script runs only because the CSP names its hash, the numbers in the
rendered page match the JSON output of the same run, and clicking a filter changes the
visible findings and the counts as it should (driven over the DevTools protocol, tests/cdp.py)."""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT


def chromium() -> str:
    exe = next((c for c in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
                if c and os.path.exists(c)), None)
    if exe is None:
        if IN_CI:
            pytest.fail("chromium is required under CI (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    return exe


def dump_dom(page, tmp_path) -> str:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    p = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


class Page(HTMLParser):
    """What the rendered DOM shows: summary numbers, the two tables, the findings."""

    def __init__(self):
        super().__init__()
        self.stats = {}
        self.rule_rows = []
        self.file_rows = []
        self.findings = []
        self.links = []
        self.marks = 0
        self.pres = 0
        self.external = []
        self.title = ""
        self.scripts = []
        self.rule_sections = {}
        self._script = None
        self._section = None
        self._stat = None
        self._table = None
        self._in_title = False
        self._finding = None
        self._where = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("link", "img", "iframe", "object", "embed") or a.get("src") or a.get("href", "").startswith(
                ("http:", "https:", "//")):
            self.external.append((tag, a))
        if tag == "script":
            self._script = []
            self.scripts.append(self._script)
        if tag == "section" and "rule-page" in a.get("class", "").split():
            self._section = self.rule_sections[a["id"]] = {"rule": a["data-rule"], "page_link": None}
        if tag == "a" and self._section is not None and a.get("class") == "page-link":
            self._section["page_link"] = a.get("href")
        if tag == "title":
            self._in_title = True
        if tag == "dd" and "data-stat" in a:
            self._stat = a["data-stat"]
        if tag == "table":
            self._table = a.get("id")
        if tag == "tr" and "data-count" in a:
            if self._table == "rules-table":
                self.rule_rows.append((a["data-rule"], a["data-severity"], int(a["data-count"])))
            elif self._table == "files-table":
                self.file_rows.append((a["data-path"], int(a["data-count"])))
        if tag == "article" and "finding" in a.get("class", "").split():
            self._finding = {"rule": a["data-rule"], "severity": a["data-severity"],
                             "line": int(a["data-line"]), "column": int(a["data-column"]), "where": ""}
            self.findings.append(self._finding)
        if tag == "span" and a.get("class") == "where":
            self._where = True
        if tag == "a" and self._finding is not None and a.get("class") == "rule":
            self._finding["url"] = a.get("href")
        if tag == "a":
            self.links.append(a.get("href"))
        if tag == "mark":
            self.marks += 1
        if tag == "pre" and "stmt" in a.get("class", "").split():
            self.pres += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None
        if tag == "section":
            self._section = None
        if tag == "dd":
            self._stat = None
        if tag == "title":
            self._in_title = False
        if tag == "table":
            self._table = None
        if tag == "span":
            self._where = False
        if tag == "article":
            self._finding = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        if self._stat:
            self.stats[self._stat] = self.stats.get(self._stat, "") + data
        if self._in_title:
            self.title += data
        if self._where and self._finding is not None:
            self._finding["where"] += data


def _check(pglint_exe, tmp_path, args, cwd):
    html = tmp_path / "report.html"
    js = tmp_path / "report.json"
    p = subprocess.run([pglint_exe, "--no-cache", "--format", "html", "-o", str(html), *args], capture_output=True,
                       text=True, cwd=cwd)
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
    q = subprocess.run([pglint_exe, "--no-cache", "--format", "json", "-o", str(js), *args], capture_output=True,
                       text=True, cwd=cwd)
    assert q.returncode == p.returncode
    doc = json.loads(js.read_text(encoding="utf-8"))

    source = html.read_text(encoding="utf-8")
    page = Page()
    page.feed(source)
    assert page.external == []  # self-contained: no stylesheet link, image, frame or outside link
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', source).group(1)
    assert csp.startswith("default-src 'none';") and "unsafe-eval" not in csp
    if doc["diagnostics"]:
        # one inline script, and the CSP allows exactly it (its sha256), nothing else
        assert len(page.scripts) == 1
        digest = base64.b64encode(hashlib.sha256("".join(page.scripts[0]).encode()).digest()).decode()
        assert re.search(r"script-src ([^;]*)", csp).group(1) == f"'sha256-{digest}'"

    rendered = Page()
    rendered.feed(dump_dom(html, tmp_path))
    assert rendered.title.startswith("pglint report")
    s = doc["summary"]
    for key in ("diagnostics", "errors", "warnings", "infos", "files", "files_with_diagnostics", "statements",
                "unreadable_files"):
        assert int(rendered.stats[key]) == s[key], key
    diags = doc["diagnostics"]
    by_rule_sev = Counter((d["rule"], d["severity"]) for d in diags)
    assert Counter({(r, sev): n for r, sev, n in rendered.rule_rows}) == by_rule_sev
    assert len(rendered.rule_rows) == len(by_rule_sev)
    assert dict(rendered.file_rows) == dict(Counter(d["path"] for d in diags))
    assert len(rendered.findings) == len(diags)
    assert Counter((f["where"], f["rule"], f["severity"]) for f in rendered.findings) == Counter(
        (f"{d['path']}:{d['line']}:{d['column']}", d["rule"], d["severity"]) for d in diags)
    from pglint.docs import rule_url

    # every finding links to its rule's section, embedded in the page (works offline); each
    # rule present has one section, whose link to the page itself resolves to the shipped file
    assert {s["rule"] for s in rendered.rule_sections.values()} == {d["rule"] for d in diags}
    for f in rendered.findings:
        assert f["url"] == f"#rule-{f['rule']}" and f["url"][1:] in rendered.rule_sections
    for section in rendered.rule_sections.values():
        assert section["page_link"] == rule_url(section["rule"])
        assert_resolves(section["page_link"])
    return doc, rendered


def assert_resolves(url: str) -> None:
    """A link resolves: a file:// URI names an existing file; http(s) answers 200."""
    from urllib.parse import unquote, urlparse
    from urllib.request import urlopen

    u = urlparse(url)
    if u.scheme == "file":
        assert Path(unquote(u.path)).is_file(), url
    else:
        assert u.scheme in ("http", "https"), url
        with urlopen(url, timeout=10) as r:
            assert r.status == 200, url


def test_html_report_renders_in_chromium_and_matches_json(pglint_exe, tmp_path):
    doc, page = _check(pglint_exe, tmp_path, ["fixtures/"], ROOT)
    assert len(doc["diagnostics"]) > 20
    # each finding shows its statement with the span marked
    assert page.pres == len(doc["diagnostics"]) and page.marks >= len(doc["diagnostics"]) - 3
    # one line of the statement per line of the excerpt (each numbered line ends with a newline)
    source = (tmp_path / "report.html").read_text(encoding="utf-8")
    for block in re.findall(r'<pre class="stmt">(.*?)</pre>', source, re.S):
        assert block.count("\n") == block.count('<span class="ln">') + block.count('<span class="gap">'), block


def test_html_report_of_a_clean_run(pglint_exe, tmp_path):
    (tmp_path / "ok.sql").write_text("SELECT 1;\n")
    doc, page = _check(pglint_exe, tmp_path, ["ok.sql"], tmp_path)
    assert doc["summary"]["diagnostics"] == 0 and page.findings == [] and page.rule_rows == []


@pytest.mark.corpus
def test_html_report_over_corpus_projects(pglint_exe, tmp_path, corpus):
    # a pg_dump schema with long statements and functions, and goose migrations
    doc, page = _check(pglint_exe, tmp_path, ["lago-api", "hatchet"], corpus)
    assert len(doc["diagnostics"]) > 50


# -- the filters, clicked in chromium -------------------------------------------------------
def _report(pglint_exe, tmp_path, args, cwd, name="report"):
    html, js = tmp_path / f"{name}.html", tmp_path / f"{name}.json"
    for fmt, out in (("html", html), ("json", js)):
        p = subprocess.run([pglint_exe, "--no-cache", "--isolated", "--format", fmt, "-o", str(out), *args],
                           capture_output=True, text=True, cwd=cwd)
        assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
    return html, json.loads(js.read_text(encoding="utf-8"))["diagnostics"]


def _browser(tmp_path):
    from cdp import Browser

    profile = tmp_path / "cdp-profile"
    profile.mkdir(exist_ok=True)
    return Browser(chromium(), profile)


VISIBLE = """JSON.stringify(Array.from(document.querySelectorAll('article.finding'))
  .filter(a => !a.hidden && a.checkVisibility())
  .map(a => [a.dataset.rule, a.dataset.severity, a.dataset.path]))"""
FACETS = """JSON.stringify(Array.from(document.querySelectorAll('button.fv')).map(b =>
  [b.dataset.facet, b.dataset.value, +b.querySelector('.shown').textContent, +b.querySelector('.total').textContent]))"""
FILE_OPTIONS = "JSON.stringify(Array.from(document.querySelectorAll('#f-file option')).filter(o => o.value).map(o => [o.value, o.textContent]))"


def _state(b):
    visible = [tuple(v) for v in json.loads(b.eval(VISIBLE))]
    facets = {(f, v): (shown, total) for f, v, shown, total in json.loads(b.eval(FACETS))}
    files = dict(json.loads(b.eval(FILE_OPTIONS)))
    return visible, facets, files, int(b.eval("document.getElementById('shown-count').textContent"))


def _assert_counts(diags, visible, facets, files, status):
    """The facet buttons, file options and status line agree with the visible findings,
    and each value's total is its count in the run."""
    assert status == len(visible)
    totals = {"rule": Counter(d["rule"] for d in diags), "severity": Counter(d["severity"] for d in diags)}
    shown = {"rule": Counter(v[0] for v in visible), "severity": Counter(v[1] for v in visible)}
    assert {k for k in facets} == {(f, v) for f in totals for v in totals[f]}
    for (facet, value), (n_shown, n_total) in facets.items():
        assert n_total == totals[facet][value], (facet, value)
        assert n_shown == shown[facet][value], (facet, value)
    per_file, shown_file = Counter(d["path"] for d in diags), Counter(v[2] for v in visible)
    assert files == {p: f"{p} ({shown_file[p]} of {n})" for p, n in per_file.items()}


def test_html_filters_clicked_in_chromium(pglint_exe, tmp_path):
    html, diags = _report(pglint_exe, tmp_path, ["fixtures/"], ROOT)
    every = Counter((d["rule"], d["severity"], d["path"]) for d in diags)
    with _browser(tmp_path) as b:
        b.open(html.as_uri())
        b.wait_for("document.body.dataset.ready === '1'")
        visible, facets, files, status = _state(b)
        assert Counter(visible) == every
        _assert_counts(diags, visible, facets, files, status)

        # click the severity "error" filter: only errors are shown, every count follows
        b.click('button.fv[data-facet="severity"][data-value="error"]')
        visible, facets, files, status = _state(b)
        errors = [d for d in diags if d["severity"] == "error"]
        assert 0 < len(errors) < len(diags)
        assert Counter(visible) == Counter((d["rule"], d["severity"], d["path"]) for d in errors)
        _assert_counts(diags, visible, facets, files, status)
        assert b.eval("document.querySelector('button.fv[data-value=\"error\"]').getAttribute('aria-pressed')") == "true"

        # and a rule (of a warning): OR within a facet, AND across facets -> nothing left
        warn_rule = Counter(d["rule"] for d in diags if d["severity"] == "warning").most_common(1)[0][0]
        assert not any(d["rule"] == warn_rule for d in errors)
        b.click(f'button.fv[data-facet="rule"][data-value="{warn_rule}"]')
        visible, facets, files, status = _state(b)
        assert visible == [] and status == 0
        _assert_counts(diags, visible, facets, files, status)
        # empty groups are hidden
        assert b.eval("Array.from(document.querySelectorAll('#groups-file details.group')).every(g => g.hidden)")

        # un-click the severity: that rule's findings, whatever their severity
        b.click('button.fv[data-facet="severity"][data-value="error"]')
        visible, facets, files, status = _state(b)
        assert Counter(visible) == Counter((d["rule"], d["severity"], d["path"]) for d in diags if d["rule"] == warn_rule)
        _assert_counts(diags, visible, facets, files, status)

        # free text on top (typed into the field): findings of that rule whose text has it
        b.click("#clear")
        assert len(_state(b)[0]) == len(diags)
        b.type_text("#f-text", "CONCURRENTLY")
        visible, facets, files, status = _state(b)
        assert 0 < len(visible) < len(diags)
        _assert_counts(diags, visible, facets, files, status)
        texts = b.eval("JSON.stringify(Array.from(document.querySelectorAll('article.finding')).filter(a => !a.hidden)"
                       ".map(a => a.textContent.toLowerCase().includes('concurrently')))")
        assert all(json.loads(texts))
        b.click("#clear")

        # one file from the select
        path = Counter(d["path"] for d in diags).most_common(1)[0][0]
        b.eval(f"(() => {{ const s = document.getElementById('f-file'); s.value = {json.dumps(path)};"
               " s.dispatchEvent(new Event('change')); })()")
        visible, facets, files, status = _state(b)
        assert {v[2] for v in visible} == {path} and status == sum(1 for d in diags if d["path"] == path)
        _assert_counts(diags, visible, facets, files, status)
        b.click("#clear")

        # group by rule: every finding moves under its rule's group, which shows the explanation once
        b.click('button[data-group="rule"]')
        assert b.eval("document.body.dataset.group") == "rule"
        placed = json.loads(b.eval("JSON.stringify(Array.from(document.querySelectorAll('#groups-rule article.finding'))"
                                   ".map(a => [a.dataset.rule, a.closest('details.group').dataset.key]))"))
        assert len(placed) == len(diags) and all(r == k for r, k in placed)
        assert b.eval("document.getElementById('groups-file').hidden") is True
        assert len(_state(b)[0]) == len(diags)
        # collapse all: no finding on screen, the group headers stay
        b.click("#collapse-all")
        assert _state(b)[0] == []
        assert b.eval("Array.from(document.querySelectorAll('#groups-rule details.group')).every(g => !g.open)")
        b.click("#expand-all")
        b.click('button[data-group="file"]')
        assert len(_state(b)[0]) == len(diags)

        # a finding's rule link goes to the embedded rule page and opens it
        b.click("article.finding a.rule")
        first_rule = b.eval("document.querySelector('article.finding').dataset.rule")
        b.wait_for(f"location.hash === '#rule-{first_rule}'")
        b.wait_for(f"document.querySelector('#rule-{first_rule} details.page').open")
        assert b.console_errors() == []


def test_html_script_runs_only_with_its_hash(pglint_exe, tmp_path):
    """The CSP is what lets the script run: the same page with the script altered by one
    character (its hash no longer matches) shows no filters and never gets ready."""
    html, diags = _report(pglint_exe, tmp_path, ["fixtures/core"], ROOT)
    assert diags
    source = html.read_text(encoding="utf-8")
    tampered = tmp_path / "tampered.html"
    tampered.write_text(source.replace('"use strict";', '"use strict"; ', 1), encoding="utf-8")
    assert tampered.read_text(encoding="utf-8") != source
    with _browser(tmp_path) as b:
        b.open(html.as_uri())
        b.wait_for("document.body.dataset.ready === '1'")
        assert b.eval("document.getElementById('filters').hidden") is False
        b.open(tampered.as_uri())
        time.sleep(0.5)
        assert b.eval("document.body.dataset.ready") is None
        assert b.eval("document.getElementById('filters').hidden") is True
        # without the script every finding is still there, grouped by file
        assert b.eval("document.querySelectorAll('#groups-file article.finding').length") == len(diags)


@pytest.mark.corpus
def test_html_report_on_4000_findings(pglint_exe, tmp_path, corpus):
    """lemmy (686 migration files, over 4,000 findings): the page is a few MB, chromium
    renders it and runs the script in seconds, and a filter click is quick."""
    started = time.perf_counter()
    html, diags = _report(pglint_exe, tmp_path, ["lemmy"], corpus)
    assert len(diags) >= 4000
    size = html.stat().st_size
    assert size < 20 * 1024 * 1024, size
    with _browser(tmp_path) as b:
        t0 = time.perf_counter()
        b.open(html.as_uri())
        b.wait_for("document.body.dataset.ready === '1'", timeout=120)
        load = time.perf_counter() - t0
        assert int(b.eval("document.body.dataset.shown")) == len(diags)
        t1 = time.perf_counter()
        b.click('button.fv[data-facet="severity"][data-value="error"]')
        b.wait_for(f"document.body.dataset.shown === '{sum(d['severity'] == 'error' for d in diags)}'")
        click = time.perf_counter() - t1
        init_ms = int(b.eval("document.body.dataset.initMs"))
        nav = b.eval("performance.getEntriesByType('navigation')[0].loadEventEnd")
    print(f"\n4,000-finding report: {len(diags)} findings, {size / 1e6:.1f} MB, written in "
          f"{t0 - started:.1f}s, chromium load {load:.1f}s (loadEventEnd {nav / 1000:.1f}s, script {init_ms} ms), "
          f"filter click {click * 1000:.0f} ms")
    assert load < 60 and click < 10


def test_explanation_once_per_rule_and_one_fix_wording(tmp_path):
    """The explanation (Diagnostic.explanation) is shown once per rule (its section, and its
    group header when grouped by rule), never per finding; fixes use the one wording."""
    import io

    from conftest import lint
    from pglint.engine.checker import FileResult
    from pglint.engine.runner import RunResult
    from pglint.reporters import html as html_reporter

    sql = "CREATE INDEX a ON t (x);\nCREATE INDEX b ON t (y);\nCREATE INDEX c ON t (z);\n"
    diags = [d for d in lint(sql, path="m.sql") if d.rule == "index-not-concurrent"]
    assert len(diags) == 3
    why = "Why-text: CREATE INDEX holds a SHARE lock that blocks writes for the whole build."
    for d in diags:
        d.explanation = why
    out = io.StringIO()
    html_reporter.render(RunResult([FileResult("m.sql", 3, diags)], 0.1, None), out, {})
    page = out.getvalue()
    assert page.count(why) == 2  # the rule's section and its by-rule group header
    assert page.count('class="explanation"') == 2
    wording = html_reporter.FIX_WORDING
    assert wording == {"safe": "fixable with --fix", "unsafe": "fixable with --unsafe-fixes",
                       "display-only": "suggested fix: needs a manual step"}
    fixes = re.findall(r'<p class="help fix" data-applicability="([a-z-]+)"><b>fix:</b> .*? \(([^)]*)\)</p>', page)
    assert len(fixes) == sum(1 for d in diags if d.fix) > 0
    assert all(text == wording[kind] for kind, text in fixes)

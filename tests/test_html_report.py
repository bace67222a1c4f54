"""The HTML report, opened in a real headless chromium: it renders, it loads nothing from
outside, and the numbers in the rendered page match the JSON output of the same run."""

import json
import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser

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
        self._stat = None
        self._table = None
        self._in_title = False
        self._finding = None
        self._where = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "link", "img", "iframe", "object", "embed") or (a.get("src")):
            self.external.append((tag, a))
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
        if tag == "pre":
            self.pres += 1

    def handle_endtag(self, tag):
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
    assert page.external == []  # self-contained: no script, stylesheet link, image or frame
    assert "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'" in source

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
    from pglint.engine.registry import all_rules

    for f in rendered.findings:
        assert f["url"] == all_rules()[f["rule"]].url
    return doc, rendered


def test_html_report_renders_in_chromium_and_matches_json(pglint_exe, tmp_path):
    doc, page = _check(pglint_exe, tmp_path, ["fixtures/"], ROOT)
    assert len(doc["diagnostics"]) > 20
    # each finding shows its statement with the span marked
    assert page.pres == len(doc["diagnostics"]) and page.marks >= len(doc["diagnostics"]) - 3


def test_html_report_of_a_clean_run(pglint_exe, tmp_path):
    (tmp_path / "ok.sql").write_text("SELECT 1;\n")
    doc, page = _check(pglint_exe, tmp_path, ["ok.sql"], tmp_path)
    assert doc["summary"]["diagnostics"] == 0 and page.findings == [] and page.rule_rows == []


@pytest.mark.corpus
def test_html_report_over_corpus_projects(pglint_exe, tmp_path, corpus):
    # a pg_dump schema with long statements and functions, and goose migrations
    doc, page = _check(pglint_exe, tmp_path, ["lago-api", "hatchet"], corpus)
    assert len(doc["diagnostics"]) > 50

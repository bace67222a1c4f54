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


def test_html_report_of_a_clean_run(pglint_exe, tmp_path):
    (tmp_path / "ok.sql").write_text("SELECT 1;\n")
    doc, page = _check(pglint_exe, tmp_path, ["ok.sql"], tmp_path)
    assert doc["summary"]["diagnostics"] == 0 and page.findings == [] and page.rule_rows == []


@pytest.mark.corpus
def test_html_report_over_corpus_projects(pglint_exe, tmp_path, corpus):
    # a pg_dump schema with long statements and functions, and goose migrations
    doc, page = _check(pglint_exe, tmp_path, ["lago-api", "hatchet"], corpus)
    assert len(doc["diagnostics"]) > 50

"""Every link pglint writes to a rule's page resolves (issue 20): the "see:" line of the full
output, SARIF helpUri, the GitHub annotations and the HTML report, for every rule, with the
default base (the page shipped in the package, the one `pglint rule NAME` prints) and with a
configured `docs-url` (a site served here over HTTP, and a local directory)."""

import json
import re
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import urlopen

import pytest
from conftest import ROOT

from pglint.config.settings import ConfigError, settings_from_table
from pglint.docs import packaged_page, rule_url
from pglint.engine.registry import all_rules


def resolves(url: str) -> bool:
    u = urlparse(url)
    if u.scheme == "file":
        return Path(unquote(u.path)).is_file()
    with urlopen(url, timeout=10) as r:
        return r.status == 200


@pytest.fixture(scope="module")
def docs_site():
    """The repository's rules/ directory served over HTTP (a documentation site)."""
    handler = partial(_Quiet, directory=str(ROOT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rules"
    server.shutdown()
    server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def test_default_link_is_the_packaged_page_pglint_rule_prints(pglint_exe):
    for name, r in all_rules().items():
        url = rule_url(name)
        assert url.startswith("file:///") and resolves(url), name
        assert r.url == url  # the language server and `pglint rules --format json` give the same
        assert Path(unquote(urlparse(url).path)) == packaged_page(name)
    # the page behind the link is what `pglint rule NAME` prints
    for name in ("select-star", "index-not-concurrent", "unused-index"):
        p = subprocess.run([pglint_exe, "rule", name], capture_output=True, text=True)
        assert p.returncode == 0
        assert p.stdout.strip() == packaged_page(name).read_text(encoding="utf-8").strip()


def test_configured_site_links_resolve_for_every_rule(docs_site, tmp_path):
    s, _ = settings_from_table({"docs-url": docs_site + "/"}, "<test>", str(tmp_path))
    assert s.docs_url == docs_site + "/"
    for name in all_rules():
        url = rule_url(name, s)
        assert url == f"{docs_site}/{name}.md" and resolves(url), name
    # a site whose pages are not <name>.md: {rule} says where the name goes
    s, _ = settings_from_table({"docs-url": docs_site + "/{rule}.md"}, "<test>", str(tmp_path))
    assert rule_url("select-star", s) == f"{docs_site}/select-star.md"
    # a directory, relative to the config file
    s, _ = settings_from_table({"docs-url": "rules"}, "<test>", str(ROOT))
    assert s.docs_url == (ROOT / "rules").as_uri()
    assert all(resolves(rule_url(n, s)) for n in all_rules())


@pytest.mark.parametrize("value", [3, "", "  ", ["x"], True])
def test_docs_url_must_be_a_string(value, tmp_path):
    with pytest.raises(ConfigError, match="docs-url"):
        settings_from_table({"docs-url": value}, "<test>", str(tmp_path))


def _links(pglint_exe, cwd, config_args):
    """Every rule link in the full, github, SARIF and HTML outputs of one run over fixtures/."""
    out = {}
    for fmt in ("full", "github", "sarif", "html"):
        layout = ["--no-summary-first"] if fmt == "full" else []  # one "see:" per finding
        p = subprocess.run([pglint_exe, "--no-cache", *config_args, "--format", fmt, *layout, str(ROOT / "fixtures")],
                           capture_output=True, text=True, cwd=cwd)
        assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
        out[fmt] = p.stdout
    links = {
        "full": re.findall(r"^  see: (\S+)$", out["full"], re.M),
        "github": [unquote(u) for u in re.findall(r"%0Asee: (\S+)$", out["github"], re.M)],
        "sarif": [r["helpUri"] for r in json.loads(out["sarif"])["runs"][0]["tool"]["driver"]["rules"]],
        "html": re.findall(r'class="page-link" href="([^"]+)"', out["html"]),
    }
    n_findings = len(re.findall(r"^::(?:error|warning|notice) file=", out["github"], re.M))
    assert len(links["full"]) == len(links["github"]) == n_findings > 20
    assert len(links["sarif"]) == len(all_rules()) and links["html"]
    return links


def test_every_generated_link_resolves_default(pglint_exe, tmp_path):
    links = _links(pglint_exe, tmp_path, ["--isolated"])
    for fmt, urls in links.items():
        for url in set(urls):
            assert url.startswith("file:///") and resolves(url), (fmt, url)


def test_every_generated_link_resolves_with_docs_url(pglint_exe, tmp_path, docs_site):
    cfg = tmp_path / "pglint.toml"
    cfg.write_text(f'docs-url = "{docs_site}"\n', encoding="utf-8")
    links = _links(pglint_exe, tmp_path, ["--config", str(cfg)])
    for fmt, urls in links.items():
        for url in set(urls):
            assert url.startswith(docs_site + "/") and resolves(url), (fmt, url)


@pytest.mark.slow
def test_default_links_resolve_in_an_installed_wheel(tmp_path):
    """Built as a wheel (pyproject force-includes rules/ as pglint/_docs/rules) and unpacked
    as pip installs a pure-Python wheel: every rule's default link is a file inside the
    installed package, with the page's text, and the HTML report's script ships with it."""
    import sys
    import zipfile

    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                        str(ROOT)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("pglint-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    assert (site / "pglint" / "templates" / "report.js").is_file()
    names = sorted(all_rules())
    code = ("import json, sys; from pglint.docs import rule_url; "
            "print(json.dumps({n: rule_url(n) for n in json.loads(sys.stdin.read())}))")
    q = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
                       input=json.dumps(names), capture_output=True, text=True, cwd=tmp_path)
    assert q.returncode == 0, q.stderr
    urls = json.loads(q.stdout)
    for name in names:
        url = urls[name]
        path = Path(unquote(urlparse(url).path))
        assert url.startswith("file://") and path.is_relative_to(site / "pglint" / "_docs" / "rules"), url
        assert path.read_text(encoding="utf-8") == (ROOT / "rules" / f"{name}.md").read_text(encoding="utf-8")

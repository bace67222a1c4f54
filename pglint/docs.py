"""The rule pages (``rules/<name>.md``), from the source tree or the installed package."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def rules_dir() -> Path | None:
    for cand in (_HERE / "_docs" / "rules", _HERE.parent / "rules"):
        if cand.is_dir():
            return cand
    return None


def rule_page(name: str) -> str | None:
    d = rules_dir()
    if d is None:
        return None
    p = d / f"{name}.md"
    return p.read_text(encoding="utf-8") if p.is_file() else None


def page_sections(text: str) -> dict[str, str]:
    """'## Heading' -> body, plus '' for the text before the first heading."""
    out: dict[str, str] = {}
    cur = ""
    buf: list[str] = []
    for line in text.splitlines():
        if line.startswith("## "):
            out[cur] = "\n".join(buf).strip()
            cur = line[3:].strip()
            buf = []
        else:
            buf.append(line)
    out[cur] = "\n".join(buf).strip()
    return out


# -- links to rule pages (the "see:" line, SARIF helpUri, the HTML report, the language server)
@lru_cache(maxsize=None)
def packaged_page(name: str) -> Path | None:
    """The rule's page as shipped: ``pglint/_docs/rules/<name>.md`` in an installed wheel
    (pyproject force-includes ``rules/`` there), ``rules/<name>.md`` in a source checkout.
    The same file ``pglint rule NAME`` prints. Looked up on disk once per rule and process
    (every finding of a report links to its rule's page)."""
    d = rules_dir()
    if d is None:
        return None
    p = d / f"{name}.md"
    return p if p.is_file() else None


def docs_base(where=None) -> str | None:
    """The configured documentation base (config key ``docs-url``) of ``where``: a string,
    a Settings, or a run result carrying ``.settings``; None when none is configured."""
    if where is None or isinstance(where, str):
        return where or None
    settings = getattr(where, "settings", where)
    return getattr(settings, "docs_url", None) or None


def rule_url(name: str, where=None) -> str:
    """The link to rule ``name``'s page.

    With ``docs-url`` configured (``where``: the base itself, the Settings or the run
    result): ``{base}/{name}.md``, or the base with ``{rule}`` replaced by the name when it
    contains ``{rule}`` (for a site whose pages are e.g. ``https://example.org/rules/{rule}.html``).
    Without it: the ``file://`` URI of the page shipped in the package, which resolves in a
    source checkout and in an installed wheel alike. Only when the package ships no page
    (a broken install) the page in the source repository, ``DOCS_URL/<name>.md``."""
    base = docs_base(where)
    if base:
        if "{rule}" in base:
            return base.replace("{rule}", name)
        return f"{base.rstrip('/')}/{name}.md"
    p = packaged_page(name)
    if p is not None:
        return p.as_uri()
    from .engine.registry import DOCS_URL

    return f"{DOCS_URL}/{name}.md"

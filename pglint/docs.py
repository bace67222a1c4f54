"""The rule pages (``rules/<name>.md``), from the source tree or the installed package."""

from __future__ import annotations

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

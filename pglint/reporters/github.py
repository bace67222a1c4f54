"""GitHub Actions workflow commands: one annotation per diagnostic,

    ::error file=db/V2.sql,line=3,endLine=3,col=1,endColumn=47,title=index-not-concurrent::message

(error / warning / notice from the severity). Chosen automatically, in addition to the
normal output, when ``GITHUB_ACTIONS=true`` and no ``--format`` was given. Columns are
given only for a span on one line (GitHub takes columns only within one line). Paths are made
relative to ``GITHUB_WORKSPACE`` (else the working directory) when they lie under it.

Escaping (as the Actions runner decodes it): in the message ``%``, CR and LF become
``%25``, ``%0D``, ``%0A``; in property values ``:`` and ``,`` also become ``%3A``, ``%2C``.
"""

from __future__ import annotations

import os

from . import summary_line
from ._common import GITHUB_COMMAND, relative_path, rule_url


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(d, base: str | None = None, docs=None) -> str:
    kind = GITHUB_COMMAND.get(d.severity, "warning")
    props = [("file", relative_path(d.path, base)), ("line", d.line)]
    end_line = max(d.end_line, d.line)
    props.append(("endLine", end_line))
    if end_line == d.line:
        props.append(("col", d.column))
        props.append(("endColumn", max(d.end_column, d.column)))
    props.append(("title", d.rule))
    text = d.message + (f"\nhelp: {d.help}" if d.help else "") + f"\nsee: {rule_url(d.rule, docs)}"
    head = ",".join(f"{k}={escape_property(str(v))}" for k, v in props)
    return f"::{kind} {head}::{escape_data(text)}"


def render(result, out, options) -> None:
    base = os.environ.get("GITHUB_WORKSPACE") or None
    for f in result.files:
        for d in f.diagnostics:
            out.write(command(d, base, result) + "\n")
        for n in f.notes:
            out.write(f"::notice file={escape_property(relative_path(f.path, base))},title=not analysed::"
                      f"{escape_data(n)}\n")
    if not options.get("quiet") and not options.get("annotations_only"):
        out.write(summary_line(result) + "\n")

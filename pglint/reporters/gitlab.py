"""GitLab Code Quality report (``artifacts: reports: codequality``): a JSON array of

    {"description", "check_name", "fingerprint", "severity", "location": {"path", "lines": {"begin", "end"}}}

Severities: error -> critical, warning -> major, info -> info. Fingerprints are unique
within a report (GitLab keeps only the first issue of a fingerprint) and stable across
edits above the statement (see ``_common.fingerprints``). Paths are relative to
``CI_PROJECT_DIR`` (else the working directory) when they lie under it.
"""

from __future__ import annotations

import json
import os

from ._common import GITLAB_SEVERITY, fingerprints, relative_path

NEEDS_STATEMENT_TEXT = True


def document(result) -> list[dict]:
    base = os.environ.get("CI_PROJECT_DIR") or None
    prints = fingerprints(result, with_path=True)
    issues = []
    for f in result.files:
        path = relative_path(f.path, base)
        for d in f.diagnostics:
            desc = f"{d.code} {d.message}"
            issue = {
                "type": "issue",
                "description": desc,
                "check_name": d.rule,
                "fingerprint": prints[id(d)],
                "severity": GITLAB_SEVERITY.get(d.severity, "major"),
                "location": {"path": path, "lines": {"begin": max(1, d.line), "end": max(1, d.line, d.end_line)}},
            }
            if d.help:
                issue["content"] = {"body": d.help}
            issues.append(issue)
    return issues


def render(result, out, options) -> None:
    from ._json_text import dump

    dump(document(result), out, indent=2)  # json.dump(..., ensure_ascii=False, indent=2)'s text
    out.write("\n")

"""A digest of pglint's findings on the shared corpus, to prove that an engine change
changes no finding (issue 17). The stored figures live in tests/data/corpus_findings.json;
after a change that is meant to change findings, regenerate them with

    python tests/corpus_digest.py /path/to/report.json /path/to/corpus > tests/data/corpus_findings.json

where report.json is `pglint --no-cache --isolated --format json -o report.json CORPUS`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter

FIELDS = ("rule", "code", "severity", "message", "explanation", "help", "line", "column", "end_line", "end_column",
          "fix")


def summarize(doc: dict, corpus: str) -> dict:
    """Counts per rule and a digest over every finding in report order, paths taken
    relative to the corpus (the run's wall time is left out)."""
    h = hashlib.sha256()
    by_rule: Counter = Counter()
    root = os.path.realpath(corpus)
    for d in doc["diagnostics"]:
        rel = os.path.relpath(os.path.realpath(d["path"]), root)
        item = {k: d.get(k) for k in FIELDS}
        item["path"] = rel
        h.update(json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
        by_rule[d["rule"]] += 1
    summary = {k: v for k, v in doc["summary"].items() if k not in ("elapsed", "timings")}
    return {"digest": h.hexdigest(), "summary": summary, "by_rule": dict(sorted(by_rule.items()))}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        out = summarize(json.load(f), sys.argv[2])
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")

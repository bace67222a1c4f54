from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by live mode: pglint check --dsn (pglint/live/check.py).
RULE = Rule(
    "PG702", "plan-seq-scan",
    summary="A query whose plan reads a large table sequentially to keep a few rows (live mode)",
    severity=WARNING, category="live", engine=False,
)

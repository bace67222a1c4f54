from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by live mode: pglint check --dsn (pglint/live/check.py).
RULE = Rule(
    "PG704", "plan-sort-disk",
    summary="A sort that spills to disk (live mode with --analyze)",
    severity=WARNING, category="live", engine=False,
)

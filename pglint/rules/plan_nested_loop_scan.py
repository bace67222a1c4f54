from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by live mode: pglint check --dsn (pglint/live/check.py).
RULE = Rule(
    "PG703", "plan-nested-loop-scan",
    summary="A Nested Loop that runs a Seq Scan for each of many outer rows (live mode)",
    severity=WARNING, category="live", engine=False,
)

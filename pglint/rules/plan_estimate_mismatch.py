from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by live mode: pglint check --dsn (pglint/live/check.py).
RULE = Rule(
    "PG706", "plan-estimate-mismatch",
    summary="A plan node whose row estimate is off by 10x or more (live mode with --analyze)",
    severity=WARNING, category="live", engine=False,
)

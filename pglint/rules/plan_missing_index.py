from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by live mode: pglint check --dsn (pglint/live/check.py).
RULE = Rule(
    "PG707", "plan-missing-index",
    summary="An index that would cut the query's plan cost by half or more, found with hypopg (live mode)",
    severity=WARNING, category="live", engine=False,
)

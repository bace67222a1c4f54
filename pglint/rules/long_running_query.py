from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG720", "long-running-query",
    summary="A query that has been running for longer than a minute (pglint health)",
    severity=WARNING, category="live", engine=False,
)

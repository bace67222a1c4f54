from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG717", "slow-query",
    summary="A query that pg_stat_statements shows as frequent and slow (pglint health)",
    severity=WARNING, category="live", engine=False,
)

from ..engine.diagnostics import INFO
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG718", "top-query",
    summary="One of the queries that take the most total time in pg_stat_statements (pglint health)",
    severity=INFO, category="live", engine=False,
)

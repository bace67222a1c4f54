from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by live mode: pglint check --dsn (pglint/live/check.py).
RULE = Rule(
    "PG708", "hot-query",
    summary="A query of the files that pg_stat_statements shows as frequent and slow (live mode)",
    severity=WARNING, category="live", engine=False,
)

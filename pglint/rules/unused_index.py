from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG710", "unused-index",
    summary="An index that no query has used since the statistics were reset (pglint health)",
    severity=WARNING, category="live", engine=False,
)

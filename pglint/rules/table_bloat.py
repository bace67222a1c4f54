from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG716", "table-bloat",
    summary="A table whose size is much larger than its live rows need (estimate; pglint health)",
    severity=WARNING, category="live", engine=False,
)

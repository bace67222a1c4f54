from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG712", "invalid-index",
    summary="An index left INVALID by a failed CREATE INDEX CONCURRENTLY (pglint health)",
    severity=WARNING, category="live", engine=False,
)

from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG711", "duplicate-index",
    summary="An index that repeats another one, or is a prefix of another one (pglint health)",
    severity=WARNING, category="live", engine=False,
)

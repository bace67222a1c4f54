from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG715", "xid-wraparound",
    summary="A table whose oldest transaction ID is getting close to wraparound (pglint health)",
    severity=WARNING, category="live", engine=False,
)

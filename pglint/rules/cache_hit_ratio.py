from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG719", "cache-hit-ratio",
    summary="Table or index reads served from shared buffers below 99% (pglint health)",
    severity=WARNING, category="live", engine=False,
)

from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG714", "sequence-exhaustion",
    summary="A sequence close to the maximum of the column it fills (pglint health)",
    severity=WARNING, category="live", engine=False,
)

from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by pglint health (pglint/live/health.py).
RULE = Rule(
    "PG721", "idle-in-transaction",
    summary="A session idle inside an open transaction for longer than a minute (pglint health)",
    severity=WARNING, category="live", engine=False,
)

from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# Evaluated by live mode: pglint check --dsn (pglint/live/check.py).
RULE = Rule(
    "PG705", "plan-hash-batches",
    summary="A hash join or hash aggregate that does not fit in work_mem (live mode with --analyze)",
    severity=WARNING, category="live", engine=False,
)

from ..engine.registry import Rule

# Reported by ``pglint trace`` (pglint/trace/findings.py), not by the statement engine.
RULE = Rule(
    "PG803", "traced-lock-without-timeout",
    summary="Trace: a lock of SHARE or stronger on an existing relation was taken while lock_timeout was 0",
    category="trace", engine=False,
)

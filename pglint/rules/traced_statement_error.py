from ..engine.diagnostics import ERROR
from ..engine.registry import Rule

# Reported by ``pglint trace`` (pglint/trace/tracer.py), not by the statement engine.
RULE = Rule(
    "PG805", "traced-statement-error",
    summary="Trace: PostgreSQL rejected a statement of the migration (its error is reported)",
    severity=ERROR, category="trace", engine=False,
)

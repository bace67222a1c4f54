from ..engine.diagnostics import INFO
from ..engine.registry import Rule

# Reported by ``pglint trace`` (pglint/trace/compare.py), not by the statement engine.
RULE = Rule(
    "PG804", "static-trace-disagreement",
    summary="Trace: PostgreSQL took another lock level or rewrite than pglint's static lock model predicts",
    severity=INFO, category="trace", engine=False,
)

from ..engine.diagnostics import ERROR
from ..engine.registry import Rule

# Reported by the engine for every statement PostgreSQL's parser rejects.
RULE = Rule(
    "PG000", "syntax-error",
    summary="A statement PostgreSQL cannot parse",
    severity=ERROR, category="meta",
)

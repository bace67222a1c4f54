from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# The health check of the same name (pglint/live/health.py) reports under this rule.
# A static rule module defining "missing-primary-key" takes precedence (fallback=True): health
# then reports under that rule, with its code.
RULE = Rule(
    "PG722", "missing-primary-key",
    summary="A table without a primary key (pglint health)",
    severity=WARNING, category="live", engine=False, fallback=True,
)

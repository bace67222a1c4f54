from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# The health check of the same name (pglint/live/health.py) reports under this rule.
# A static rule module defining "unindexed-foreign-key" takes precedence (fallback=True): health
# then reports under that rule, with its code.
RULE = Rule(
    "PG713", "unindexed-foreign-key",
    summary="A foreign key whose columns do not lead any valid index of the referencing table (pglint health)",
    severity=WARNING, category="live", engine=False, fallback=True,
)

from ..engine.diagnostics import WARNING
from ..engine.registry import Rule

# The health check of the same name (pglint/live/health.py) reports under this rule.
# A static rule module defining "security-definer-search-path" takes precedence (fallback=True): health
# then reports under that rule, with its code.
RULE = Rule(
    "PG723", "security-definer-search-path",
    summary="A SECURITY DEFINER function without SET search_path (pglint health)",
    severity=WARNING, category="live", engine=False, fallback=True,
)

from ..engine.diagnostics import INFO
from ..engine.registry import Rule

# Reported by live mode and pglint health (pglint/live/) when a check could not run.
RULE = Rule(
    "PG700", "live-skipped",
    summary="Something live mode could not check: a query it could not EXPLAIN, a view it may not read, a missing extension",
    severity=INFO, category="live", engine=False,
)

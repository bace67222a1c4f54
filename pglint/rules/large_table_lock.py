from ..engine.diagnostics import ERROR
from ..engine.registry import Rule

# Evaluated by live mode (pglint check --dsn): the lock is the usual one for the statement;
# the size of the table makes it long.
RULE = Rule(
    "PG701", "large-table-lock",
    summary="A statement that blocks writes to a large table (or locks all its rows) for as long as it scans or rewrites it",
    severity=ERROR, category="live", engine=False,
)

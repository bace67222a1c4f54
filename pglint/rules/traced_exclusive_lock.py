from ..engine.registry import Rule

# Reported by ``pglint trace`` (pglint/trace/findings.py), not by the statement engine.
RULE = Rule(
    "PG801", "traced-exclusive-lock",
    summary="Trace: PostgreSQL took an ACCESS EXCLUSIVE lock on a table that existed before the migration",
    category="trace", engine=False,
)

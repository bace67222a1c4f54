from ..engine.registry import Rule

# Reported by ``pglint trace`` (pglint/trace/findings.py), not by the statement engine.
RULE = Rule(
    "PG802", "traced-rewrite",
    summary="Trace: PostgreSQL rewrote a table or index that existed before the migration (relfilenode changed)",
    category="trace", engine=False,
)

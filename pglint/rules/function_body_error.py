from ..engine.diagnostics import ERROR
from ..engine.registry import EVERYWHERE, Rule

# Reported by the engine when PL/pgSQL (or a SQL function body) does not compile.
RULE = Rule(
    "PG003", "function-body-error",
    summary="A function or DO body that PostgreSQL rejects when the statement runs",
    severity=ERROR, category="meta", scope=EVERYWHERE,
)

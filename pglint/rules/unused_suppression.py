from ..engine.registry import Rule

# Reported by the engine after suppressions are applied.
RULE = Rule(
    "PG002", "unused-suppression",
    summary="A pglint: ignore comment that silenced nothing, or names an unknown rule",
    category="meta",
)

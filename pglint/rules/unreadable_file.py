from ..engine.diagnostics import ERROR
from ..engine.registry import Rule

# Reported by the runner for a file that is not UTF-8 text or cannot be read.
RULE = Rule(
    "PG001", "unreadable-file",
    summary="A file that is not valid UTF-8 text, is binary, or cannot be read",
    severity=ERROR, category="meta",
)

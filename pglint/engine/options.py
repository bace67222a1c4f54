"""What is fixed for a whole run (a light module: the cached path needs it without the engine)."""

from __future__ import annotations


class RunOptions:
    """What is fixed for a whole run: version, enabled rules, severity overrides."""

    def __init__(self, settings, enabled: set[str], rules: dict) -> None:
        self.settings = settings
        self.pg_version = settings.pg_version
        self.enabled = enabled
        self.rules = rules
        # set by the CLI when the output format shows or fingerprints statements
        self.statement_text = False

"""What linting a file gives: plain value objects (read back from the cache without
importing the engine)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Diagnostic


@dataclass
class FileResult:
    path: str
    statements: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things pglint could not analyse
    unreadable: str | None = None
    rollback: bool = False
    digest: str | None = None  # fingerprint of the text linted (source.files.text_digest)
    # pglint did not know whether some of its statements run in a transaction
    # (source/tool_transactions.UNKNOWN)
    tx_unknown: bool = False

    def __reduce__(self):
        return (FileResult, (self.path, self.statements, self.diagnostics, self.notes, self.unreadable,
                             self.rollback, self.digest, self.tx_unknown))

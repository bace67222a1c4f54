"""Transaction state along a file: which statements share a transaction block."""

from __future__ import annotations

from dataclasses import dataclass

# How a transaction block came to be open.
EXPLICIT = "explicit"  # BEGIN / START TRANSACTION in the file
ASSUMED = "assumed"  # the migration tool wraps the file (or section) in a transaction


@dataclass(frozen=True, slots=True)
class TxInfo:
    """The transaction a statement runs in."""

    id: int  # statements with the same id share a transaction
    in_block: bool  # inside a transaction block (BEGIN ... COMMIT, or a wrapping tool)
    kind: str | None  # EXPLICIT, ASSUMED or None (autocommit)
    begin_offset: int | None = None  # where the explicit BEGIN is


class TransactionTracker:
    def __init__(self, assumed: bool) -> None:
        self.assumed = assumed
        self.next_id = 1
        self.in_block = assumed
        self.kind = ASSUMED if assumed else None
        self.begin_offset: int | None = None
        self.current = self.next_id if assumed else 0
        if assumed:
            self.next_id += 1
        self.events: list[tuple[str, int]] = []  # (what, offset) for rules about nesting

    def info(self) -> TxInfo:
        """Transaction of the statement about to run (autocommit: a fresh one each time)."""
        if self.in_block:
            return TxInfo(self.current, True, self.kind, self.begin_offset)
        tid = self.next_id
        self.next_id += 1
        return TxInfo(tid, False, None)

    def apply(self, node: dict, offset: int) -> None:
        """Update the state after a TransactionStmt ran."""
        kind = node.get("kind", "")
        if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            if not self.in_block:
                self.in_block = True
                self.kind = EXPLICIT
                self.begin_offset = offset
                self.current = self.next_id
                self.next_id += 1
        elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
            if node.get("chain") and self.in_block:
                self.current = self.next_id
                self.next_id += 1
                return
            self.in_block = False
            self.kind = None
            self.begin_offset = None

    def reset(self, assumed: bool) -> None:
        """A new session (e.g. the down section of a goose file)."""
        self.__init__(assumed)

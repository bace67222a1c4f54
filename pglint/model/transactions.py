"""Transaction state along a file: which statements share a transaction block."""

from __future__ import annotations

from dataclasses import dataclass

from .locks import alter_table_cmds
from .nodes import has_option

from .txmodes import ASSUMED, EXPLICIT, ONE_QUERY  # noqa: F401  (re-exported)


@dataclass(frozen=True, slots=True)
class TxInfo:
    """The transaction a statement runs in."""

    id: int  # statements with the same id share a transaction
    in_block: bool  # inside a transaction block (BEGIN ... COMMIT, or a wrapping tool)
    kind: str | None  # EXPLICIT, ASSUMED or None (autocommit)
    begin_offset: int | None = None  # where the explicit BEGIN is


class TransactionTracker:
    def __init__(self, mode: str | None) -> None:
        """``mode``: how the migration tool runs the file (or section): ASSUMED (wrapped in
        a transaction), ONE_QUERY (sent as one query string) or None (statement by
        statement, each committing on its own unless the file says BEGIN)."""
        self.mode = mode
        self.assumed = mode == ASSUMED
        self.next_id = 1
        self.in_block = mode is not None
        self.kind = mode
        self.begin_offset: int | None = None
        self.current = self.next_id if mode else 0
        if mode:
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
            elif self.kind == ONE_QUERY:  # the implicit block becomes an ordinary one
                self.kind = EXPLICIT
                self.begin_offset = offset
        elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
            if node.get("chain") and self.in_block:
                self.current = self.next_id
                self.next_id += 1
                return
            self.begin_offset = None
            if self.mode == ONE_QUERY:  # the rest of the string: a new implicit block
                self.kind = ONE_QUERY
                self.current = self.next_id
                self.next_id += 1
                return
            self.in_block = False
            self.kind = None

    def reset(self, mode: str | None) -> None:
        """A new session (e.g. the down section of a goose file)."""
        self.__init__(mode)


def refused_in_block(stmt_type: str, node: dict, pg_version: tuple[int, ...] = (99,)) -> str | None:
    """The command, if PostgreSQL refuses to run this statement inside a transaction block
    ("... cannot run inside a transaction block"); None otherwise."""
    if stmt_type == "IndexStmt":
        return "CREATE INDEX CONCURRENTLY" if node.get("concurrent") else None
    if stmt_type == "DropStmt":
        return "DROP INDEX CONCURRENTLY" if node.get("concurrent") else None
    if stmt_type == "ReindexStmt":
        if has_option(node.get("params"), "concurrently"):
            return "REINDEX CONCURRENTLY"
        kind = node.get("kind", "")
        if kind in ("REINDEX_OBJECT_SYSTEM", "REINDEX_OBJECT_DATABASE"):
            return "REINDEX " + kind.rsplit("_", 1)[1]
        return None
    if stmt_type == "AlterTableStmt":
        for cmd in alter_table_cmds(node):
            if cmd.get("subtype") == "AT_DetachPartition":
                if ((cmd.get("def") or {}).get("PartitionCmd") or {}).get("concurrent"):
                    return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"
        return None
    if stmt_type == "VacuumStmt":
        return "VACUUM" if node.get("is_vacuumcmd") else None
    if stmt_type == "AlterEnumStmt":
        # ADD VALUE inside a transaction block is allowed from PostgreSQL 12
        return "ALTER TYPE ... ADD VALUE" if pg_version < (12,) and not node.get("oldVal") else None
    return _ALWAYS_REFUSED.get(stmt_type)


# statement types refused_in_block may name (the others never are)
REFUSABLE_TYPES = frozenset({"IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt", "VacuumStmt", "AlterEnumStmt",
                             "CreatedbStmt", "DropdbStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
                             "AlterSystemStmt"})

_ALWAYS_REFUSED = {
    "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
    "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
    "AlterSystemStmt": "ALTER SYSTEM",
}

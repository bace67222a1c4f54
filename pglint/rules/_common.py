"""Helpers shared by several rules (not a rule: modules starting with _ are skipped)."""

from __future__ import annotations

from ..model.locks import alter_table_cmds, column_constraints, column_def_of, constraint_of  # noqa: F401
from ..model.nodes import relation_name


def qname(rv: dict | None) -> str:
    """A relation name as the user wrote it, for messages."""
    schema, name = relation_name(rv)
    return f"{schema}.{name}" if schema else name


def outside_tx_hint(ctx) -> str:
    """How to run a statement outside a transaction, for the file's migration tool."""
    markers = ctx.parsed.markers
    if any(m.tool == "goose" for m in markers):
        return "put it in its own goose migration marked `-- +goose NO TRANSACTION`"
    if any(m.tool == "dbmate" for m in markers):
        return "put it in its own dbmate migration with `-- migrate:up transaction:false`"
    if ctx.txinfo is not None and ctx.txinfo.kind == "explicit":
        return "move it after the COMMIT (outside BEGIN ... COMMIT)"
    return ("put it in its own migration that runs outside a transaction (a file holding only this "
            "statement; mark it `-- pglint: no-transaction`)")


def adds_existing_column(ctx, rv, cmd: dict) -> bool:
    """ADD COLUMN IF NOT EXISTS of a column the table has: PostgreSQL only takes the lock."""
    cd = column_def_of(cmd) or {}
    return bool(cmd.get("missing_ok")) and ctx.column_exists(rv, cd.get("colname", "")) is True

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


# -- objects created earlier in the file ----------------------------------------------
# Relation kinds live in the schema model's tables; other kinds in its object registry.
RELATION_KINDS = {
    "OBJECT_TABLE": "table", "OBJECT_VIEW": "view", "OBJECT_MATVIEW": "materialized view",
    "OBJECT_FOREIGN_TABLE": "foreign table",
}


def created_here(ctx, kind: str, schema: str | None, name: str) -> bool:
    """Whether the object was created earlier in this file (so no deployed code uses it).
    ``kind``: table, view, materialized view, foreign table, index, or a kind of
    ``SchemaModel.objects`` (function, type, domain, schema, sequence, extension, ...)."""
    if kind in ("table", "view", "materialized view", "foreign table"):
        return ctx.is_new(ctx.schema.key(schema, name))
    if kind == "index":
        return ctx.is_new_index(schema, name)
    o = ctx.schema.created(kind, schema, name)
    return o is not None and o.file == ctx.file_index


def column_is_new(ctx, rv: dict | None, column: str) -> bool:
    """The table, or this column of it, was created earlier in this file."""
    if ctx.is_new_table(rv):
        return True
    t = ctx.schema.table(rv)
    col = t.columns.get(column) if t is not None else None
    return col is not None and col.origin is not None and col.origin.file == ctx.file_index


def constraint_is_new(ctx, rv: dict | None, name: str) -> bool:
    if ctx.is_new_table(rv):
        return True
    t = ctx.schema.table(rv)
    c = t.constraints.get(name) if t is not None else None
    return c is not None and c.origin is not None and c.origin.file == ctx.file_index


def in_rollback(ctx) -> bool:
    """The statement is in a down / rollback migration: it undoes what the up did."""
    return bool(ctx.stmt is not None and ctx.stmt.rollback)


def report_at_statement(ctx, stmt_index: int, span: tuple[int, int], message: str, **kw):
    """Report from an ``at_end`` handler, attached to an earlier statement (so that a
    suppression comment above that statement applies)."""
    d = ctx.report(message, at=span, **kw)
    if d is not None:
        d.statement = stmt_index
    return d

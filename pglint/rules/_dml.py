"""Helpers shared by update-without-where and delete-without-where."""

from __future__ import annotations

from ..model.nodes import relation_name


def is_scratch_table(ctx, rv: dict | None) -> bool:
    """A table the statement's rows cannot be anybody else's: created earlier in this
    file when the statement runs now (migration, DO block), or created earlier in the
    same function body when it runs at call time (a work table of the function)."""
    if not rv:
        return False
    stmt = ctx.stmt
    if stmt.executes_now:
        return ctx.is_new_table(rv)
    created = _created_in_body(ctx, stmt.parent)
    schema, name = relation_name(rv)
    return (schema, name) in created or (None, name) in created


def _created_in_body(ctx, parent) -> set:
    """(schema, name) of the tables created by the statements of a function body that
    come before the current one."""
    out = set()
    if parent is None:
        return out
    for e in parent.embedded:
        if e is ctx.stmt or e.start >= ctx.stmt.start:
            break
        if e.type in ("CreateStmt", "CreateTableAsStmt"):
            node = e.node
            rv = node.get("relation") or (node.get("into") or {}).get("rel")
            if rv:
                out.add(relation_name(rv))
                out.add((None, rv.get("relname")))
    return out

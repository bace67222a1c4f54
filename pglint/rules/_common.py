"""Helpers shared by several rules (not a rule: modules starting with _ are skipped)."""

from __future__ import annotations

import re

from ..model.locks import alter_table_cmds, column_constraints, column_def_of, constraint_of  # noqa: F401
from ..model.nodes import relation_name, strings


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


def not_against_live_app(ctx) -> bool:
    """The statement is in a down / rollback migration (it undoes what the up did), or the
    file is a schema dump (restored into an empty database): either way it does not run
    against an application that uses what it removes or renames."""
    return bool(ctx.stmt is not None and ctx.stmt.rollback) or is_schema_dump(ctx)


def report(ctx, message: str, help: str | None = None, **kw):
    """``ctx.report`` with names shown as written (template placeholders put back)."""
    return ctx.report(shown(ctx, message), help=shown(ctx, help) if help else help, **kw)


def report_at_statement(ctx, stmt_index: int, span: tuple[int, int], message: str, **kw):
    """Report from an ``at_end`` handler, attached to an earlier statement (so that a
    suppression comment above that statement applies)."""
    d = report(ctx, message, at=span, **kw)
    if d is not None:
        d.statement = stmt_index
    return d


def _shared(ctx) -> dict:
    """Scratch space shared by the rules for facts computed once per file."""
    return ctx.state.setdefault("_common", {})


_PSQL_VAR = re.compile(r":(?:'[A-Za-z_]\w*'|\"[A-Za-z_]\w*\"|[A-Za-z_]\w*|\{\?[A-Za-z_]\w*\})")  # as psql reads them
_DUMP_PREAMBLE = re.compile(r"SELECT pg_catalog\.set_config\('search_path', '', false\);")


def is_schema_dump(ctx) -> bool:
    """pg_dump output (also Rails' structure.sql, which strips the header comments): it is
    restored into an empty database, never run against a live application. pg_dump has
    written this search_path reset near the top of every dump since PostgreSQL 10.3."""
    sh = _shared(ctx)
    v = sh.get("dump")
    if v is None:
        v = sh["dump"] = bool(_DUMP_PREAMBLE.search(ctx.sql, 0, 4000))
    return v


def substituted_spans(ctx) -> list[tuple[int, int]]:
    """Spans where the parsed text holds a stand-in for what the file says: template
    placeholders and psql variables, replaced by same-length identifiers before parsing."""
    sh = _shared(ctx)
    spans = sh.get("substituted")
    if spans is None:
        spans = sh["substituted"] = list(ctx.parsed.placeholders)
        a, b = ctx.sql, ctx.source.text
        if ":" in b and a != b:
            for m in _PSQL_VAR.finditer(b):
                s, e = m.span()
                if a[s:e] != b[s:e] and a[s:e].strip():
                    spans.append((s, e))
    return spans


def shown(ctx, name: str) -> str:
    """A name for a message as the author wrote it: template placeholders and psql
    variables (replaced by same-length identifiers before parsing) are put back."""
    spans = substituted_spans(ctx)
    if not spans:
        return name
    sh = _shared(ctx)
    subs = sh.get("placeholders")
    if subs is None:
        subs = {}
        for s, e in spans:
            # extend to whole words: a substitution may change only part of the placeholder
            while s > 0 and (ctx.sql[s - 1].isalnum() or ctx.sql[s - 1] == "_"):
                s -= 1
            while e < len(ctx.sql) and (ctx.sql[e].isalnum() or ctx.sql[e] == "_"):
                e += 1
            sub, orig = ctx.sql[s:e], ctx.source.text[s:e]
            if sub != orig and len(sub) > 2:
                subs[sub] = orig
                subs[sub.lower()] = orig  # the parser folds unquoted names to lower case
        sh["placeholders"] = subs
    for k, v in subs.items():
        if k and k in name:
            name = name.replace(k, v)
    return name


# what a CREATE statement makes, for "recreated later in the file"
def _made(stmt) -> list[tuple[str, str]]:
    t = stmt.type
    n = stmt.node
    if t == "CreateFunctionStmt":
        names = strings(n.get("funcname"))
        return [("function", names[-1])] if names else []
    if t == "ViewStmt":
        return [("view", (n.get("view") or {}).get("relname", ""))]
    if t == "CreateTableAsStmt" and n.get("objtype") == "OBJECT_MATVIEW":
        return [("materialized view", ((n.get("into") or {}).get("rel") or {}).get("relname", ""))]
    if t in ("CreateEnumStmt", "CreateRangeStmt"):
        names = strings(n.get("typeName"))
        return [("type", names[-1])] if names else []
    if t == "CompositeTypeStmt":
        return [("type", (n.get("typevar") or {}).get("relname", ""))]
    if t == "DefineStmt":
        kind = {"OBJECT_TYPE": "type", "OBJECT_AGGREGATE": "function"}.get(n.get("kind", ""))
        names = strings(n.get("defnames"))
        return [(kind, names[-1])] if kind and names else []
    if t == "CreateDomainStmt":
        names = strings(n.get("domainname"))
        return [("domain", names[-1])] if names else []
    if t == "CreateSeqStmt":
        return [("sequence", (n.get("sequence") or {}).get("relname", ""))]
    if t == "CreateSchemaStmt":
        return [("schema", n.get("schemaname", ""))]
    if t == "CreateExtensionStmt":
        return [("extension", n.get("extname", ""))]
    if t == "CreateForeignTableStmt":
        return [("foreign table", ((n.get("base") or {}).get("relation") or {}).get("relname", ""))]
    if t == "AlterTableStmt":
        table = (n.get("relation") or {}).get("relname", "")
        out = []
        for cmd in alter_table_cmds(n):
            if cmd.get("subtype") == "AT_AddConstraint":
                con = constraint_of(cmd) or {}
                if con.get("conname"):
                    out.append(("constraint", f"{table}.{con['conname']}"))
        return out
    return []


_CREATE_TYPES = frozenset({
    "CreateFunctionStmt", "ViewStmt", "CreateTableAsStmt", "CreateEnumStmt", "CreateRangeStmt", "CompositeTypeStmt",
    "DefineStmt", "CreateDomainStmt", "CreateSeqStmt", "CreateSchemaStmt", "CreateExtensionStmt",
    "CreateForeignTableStmt", "AlterTableStmt",
})


def recreated_later(ctx, kind: str, name: str) -> bool:
    """Whether a later statement of this file (same section) creates an object of this
    kind and name again: the DROP is part of a replacement, not a removal. ``kind`` as in
    ``_made`` (function covers procedures and aggregates); constraints are named
    "table.constraint"."""
    sh = _shared(ctx)
    made = sh.get("made")
    if made is None:
        made = sh["made"] = {}
        for s in ctx.parsed.all_statements():
            if s.origin == "function" or s.type not in _CREATE_TYPES or s.rollback:
                continue
            for key in _made(s):
                made.setdefault(key, []).append((s.section, s.start))
    stmt = ctx.stmt
    return any(sec == stmt.section and start > stmt.start for sec, start in made.get((kind, name), ()))

"""Helpers shared by several rules (not a rule: modules starting with _ are skipped)."""

from __future__ import annotations

import re

from ..engine.diagnostics import MESSAGE_WIDTH
from ..model.locks import alter_table_cmds, column_constraints, column_def_of, constraint_of  # noqa: F401
from ..model.nodes import relation_name, strings
from ..model.transactions import ONE_QUERY


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
    tool = ctx.tool_tx
    if tool is not None and tool.mode == ONE_QUERY:  # after a COMMIT is still inside the string
        return tool.hint
    if ctx.txinfo is not None and ctx.txinfo.kind == "explicit":
        return "move it after the COMMIT (outside BEGIN ... COMMIT)"
    if tool is not None and tool.hint:
        return tool.hint
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


def existing_column_cmds(ctx, node, subtype: str):
    """For an ALTER TABLE that may run against the live application: (command index, relation,
    table as shown, column) of each ``subtype`` command on a column that existed before this
    file (drop-not-null, drop-generated-expression)."""
    if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE" or skip_compat_check(ctx):
        return
    rv = node.get("relation")
    table = qname(rv)
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != subtype:
            continue
        col = cmd.get("name", "")
        if not column_is_new(ctx, rv, col):
            yield i, rv, table, col


def not_against_live_app(ctx) -> bool:
    """The statement is in a down / rollback migration (it undoes what the up did), or the
    file is a schema dump (restored into an empty database): either way it does not run
    against an application that uses what it removes or renames."""
    return bool(ctx.stmt is not None and ctx.stmt.rollback) or is_schema_dump(ctx)


def skip_compat_check(ctx) -> bool:
    """For the compatibility rules that warn about breaking the running application
    (drop-*, rename-*, set-schema): skip a schema dump, restored into an empty database. A
    rollback (down file or section) is checked like a forward migration; the engine then
    makes those findings informational, or drops them, as the ``rollbacks`` setting says
    (engine/checker.py: _rollback_policy)."""
    return is_schema_dump(ctx)



def fitted(*candidates: str) -> str:
    """The first of ``candidates`` (from the most to the least detailed wording of the same
    finding) that fits in MESSAGE_WIDTH characters, else the last: long names leave less
    room for context such as the table an index belongs to."""
    for c in candidates:
        if len(c) <= MESSAGE_WIDTH:
            return c
    return candidates[-1]


def report(ctx, message: str, help: str | None = None, **kw):
    """``ctx.report`` (which shows names as written: template placeholders put back)."""
    return ctx.report(message, help=help, **kw)


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


_WORD_RUN = re.compile(r"\w+")
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
        raw = {}  # the stand-in alone: names built from it (a table's name + "_pkey") start with it
        for s, e in spans:
            sub, orig = ctx.sql[s:e], ctx.source.text[s:e]
            if sub != orig and len(sub) > 2 and sub.startswith("_"):
                raw[sub] = orig
                raw[sub.lower()] = orig
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
        sh["placeholder_prefix"] = (
            re.compile("|".join(re.escape(k) for k in sorted(raw, key=len, reverse=True))) if raw else None, raw)
    if not subs:
        return name
    prefix, raw = sh["placeholder_prefix"]
    # most texts of a finding hold no stand-in: tell so from the list of their words (one C
    # call and a set test) before a Python call per word (12 % of a run on a large file)
    words = _WORD_RUN.findall(name)
    if subs.keys().isdisjoint(words) and (prefix is None or not any(
            w[0] == "_" and prefix.match(w) is not None for w in words)):
        return name

    def put_back(m):
        w = m.group()
        v = subs.get(w)
        if v is not None:
            return v
        if prefix is not None and w.startswith("_"):
            p = prefix.match(w)
            if p is not None:  # a name derived from a placeholder's: "<placeholder>_pkey"
                return raw[p.group()] + w[p.end():]
        return w

    # each stand-in is a whole word of the parsed text, and so of the name: look the name's
    # words up (a loop over every placeholder of the file, per message, was quadratic)
    return _WORD_RUN.sub(put_back, name)


# What a statement makes appear under a name, for "the name is taken again later in the
# file" (a replacement or a swap) and "this name came from a rename earlier in the file".
# Kinds: table, view, materialized view, foreign table, function (procedures and
# aggregates too), type, domain, sequence, schema, extension, index; columns and
# constraints are named "table.name".
_RENAME_KINDS = {
    "OBJECT_TABLE": "table", "OBJECT_VIEW": "view", "OBJECT_MATVIEW": "materialized view",
    "OBJECT_FOREIGN_TABLE": "foreign table", "OBJECT_FUNCTION": "function", "OBJECT_PROCEDURE": "function",
    "OBJECT_ROUTINE": "function", "OBJECT_AGGREGATE": "function", "OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain",
    "OBJECT_SEQUENCE": "sequence", "OBJECT_SCHEMA": "schema", "OBJECT_INDEX": "index",
}


def _made(stmt) -> list[tuple[str, str]]:
    t = stmt.type
    n = stmt.node
    if t == "CreateStmt":
        return [("table", (n.get("relation") or {}).get("relname", ""))]
    if t == "CreateFunctionStmt":
        names = strings(n.get("funcname"))
        return [("function", names[-1])] if names else []
    if t == "ViewStmt":
        return [("view", (n.get("view") or {}).get("relname", ""))]
    if t == "CreateTableAsStmt":
        kind = "materialized view" if n.get("objtype") == "OBJECT_MATVIEW" else "table"
        return [(kind, ((n.get("into") or {}).get("rel") or {}).get("relname", ""))]
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
    if t == "IndexStmt" and n.get("idxname"):
        return [("index", n["idxname"])]
    if t == "AlterTableStmt":
        table = (n.get("relation") or {}).get("relname", "")
        out = []
        for cmd in alter_table_cmds(n):
            sub = cmd.get("subtype")
            if sub == "AT_AddConstraint":
                con = constraint_of(cmd) or {}
                if con.get("conname"):
                    out.append(("constraint", f"{table}.{con['conname']}"))
            elif sub == "AT_AddColumn":
                cd = column_def_of(cmd) or {}
                if cd.get("colname"):
                    out.append(("column", f"{table}.{cd['colname']}"))
        return out
    if t == "RenameStmt":
        return _renamed_to(n)
    return []


def renamed_from(n: dict) -> tuple[str, str] | None:
    """(kind, old name) of what a RenameStmt renames, in the terms of ``recreated_later``."""
    rt = n.get("renameType", "")
    table = (n.get("relation") or {}).get("relname", "")
    if rt == "OBJECT_COLUMN":
        return ("column", f"{table}.{n.get('subname', '')}")
    if rt == "OBJECT_TABCONSTRAINT":
        return ("constraint", f"{table}.{n.get('subname', '')}")
    kind = _RENAME_KINDS.get(rt)
    if kind is None:
        return None
    if n.get("relation"):
        return (kind, table)
    if rt == "OBJECT_SCHEMA":
        return (kind, n.get("subname", ""))
    from ..model.schema import object_names

    names = object_names(n.get("object"))
    return (kind, names[-1]) if names else None


def _renamed_to(n: dict) -> list[tuple[str, str]]:
    rt = n.get("renameType", "")
    new = n.get("newname", "")
    table = (n.get("relation") or {}).get("relname", "")
    if rt == "OBJECT_COLUMN":
        return [("column", f"{table}.{new}")]
    if rt == "OBJECT_TABCONSTRAINT":
        return [("constraint", f"{table}.{new}")]
    kind = _RENAME_KINDS.get(rt)
    return [(kind, new)] if kind and new else []


_MAKING_TYPES = frozenset({
    "CreateStmt", "CreateFunctionStmt", "ViewStmt", "CreateTableAsStmt", "CreateEnumStmt", "CreateRangeStmt",
    "CompositeTypeStmt", "DefineStmt", "CreateDomainStmt", "CreateSeqStmt", "CreateSchemaStmt",
    "CreateExtensionStmt", "CreateForeignTableStmt", "IndexStmt", "AlterTableStmt", "RenameStmt",
})


def _names_made(ctx) -> tuple[dict, dict, dict]:
    """(kind, name) -> [(section, offset)] of every statement that makes the name appear,
    of the renames among them, and of the renames that free a name; once per file."""
    sh = _shared(ctx)
    v = sh.get("made")
    if v is None:
        made: dict = {}
        renamed: dict = {}
        freed: dict = {}
        for s in ctx.parsed.all_statements():
            if s.origin == "function" or s.type not in _MAKING_TYPES or s.rollback:
                continue
            for key in _made(s):
                made.setdefault(key, []).append((s.section, s.start))
                if s.type == "RenameStmt":
                    renamed.setdefault(key, []).append((s.section, s.start))
            if s.type == "RenameStmt":
                key = renamed_from(s.node)
                if key is not None:
                    freed.setdefault(key, []).append((s.section, s.start))
        v = sh["made"] = (made, renamed, freed)
    return v


def recreated_later(ctx, kind: str, name: str) -> bool:
    """Whether a later statement of this file (same section) makes an object of this kind
    and name appear again (CREATE, ADD, or a RENAME to that name): a DROP or RENAME of the
    old one is part of a replacement or a swap, and the name goes on existing."""
    stmt = ctx.stmt
    return any(sec == stmt.section and start > stmt.start for sec, start in _names_made(ctx)[0].get((kind, name), ()))


def table_dropped_later(ctx, name: str) -> bool:
    """Whether a later DROP TABLE in the file (same section) drops this table: what is
    removed from it before goes with it, and drop-table reports that."""
    sh = _shared(ctx)
    drops = sh.get("table_drops")
    if drops is None:
        from ..model.schema import object_names

        drops = sh["table_drops"] = {}
        for s in ctx.parsed.statements:
            if s.type != "DropStmt" or s.rollback or '"OBJECT_TABLE"' not in (s.json_text or '"OBJECT_TABLE"'):
                continue
            if s.node.get("removeType") != "OBJECT_TABLE":
                continue
            for obj in s.node.get("objects") or ():
                names = object_names(obj)
                if names:
                    drops.setdefault(names[-1], []).append((s.section, s.start))
    stmt = ctx.stmt
    return any(sec == stmt.section and start > stmt.start for sec, start in drops.get(name, ()))


def freed_earlier(ctx, kind: str, name: str) -> bool:
    """Whether an earlier RENAME in the file (same section) moved another object away from
    this name: a RENAME to it is the second half of a swap."""
    stmt = ctx.stmt
    return any(sec == stmt.section and start < stmt.start for sec, start in _names_made(ctx)[2].get((kind, name), ()))


def renamed_earlier(ctx, kind: str, name: str) -> bool:
    """Whether this name was given by a RENAME earlier in the file (same section): the
    object is the one moved out of the way, no longer under the name the code uses."""
    stmt = ctx.stmt
    return any(sec == stmt.section and start < stmt.start for sec, start in _names_made(ctx)[1].get((kind, name), ()))


def required_column_cmds(ctx, rv, node):
    """(command index, column definition, constraint kinds) of each ADD COLUMN of the ALTER
    TABLE ``node`` that makes a new NOT NULL (or PRIMARY KEY) column without a default: it
    fails on a table that has rows (add-column-required)."""
    from ..model.types import SERIAL_TYPES, column_type

    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_AddColumn" or adds_existing_column(ctx, rv, cmd):
            continue
        cd = column_def_of(cmd) or {}
        kinds = {c.get("contype") for c in column_constraints(cd)}
        if not (cd.get("is_not_null") or "CONSTR_NOTNULL" in kinds or "CONSTR_PRIMARY" in kinds):
            continue
        if kinds & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"} or cd.get("raw_default"):
            continue
        typ = column_type(cd.get("typeName"))
        if typ is not None and typ.name in SERIAL_TYPES:
            continue
        yield i, cd, kinds


def only_succeeds_on_empty_table(ctx, node) -> bool:
    """The ALTER TABLE also adds a NOT NULL column without a default, which add-column-required
    reports (when on): the statement can only succeed on an empty table, where scanning it or
    building an index on it costs nothing, so the scan and lock rules add nothing."""
    if "add-column-required" not in ctx.opts.enabled:
        return False
    return next(required_column_cmds(ctx, node.get("relation"), node), None) is not None


def adds_existing_column(ctx, rv, cmd: dict) -> bool:
    """ADD COLUMN IF NOT EXISTS of a column the table has: PostgreSQL only takes the lock."""
    cd = column_def_of(cmd) or {}
    return bool(cmd.get("missing_ok")) and ctx.column_exists(rv, cd.get("colname", "")) is True


def trigger_function(ctx, obj: dict | None, name: str) -> bool:
    """Whether a DROP or ALTER names a function the history made with RETURNS trigger (or
    event_trigger) and no argument list of another overload (a trigger function takes no
    arguments). PostgreSQL calls such a function only as a trigger ('trigger functions can
    only be called as triggers'), and a trigger keeps its function by OID: no query,
    default or view of the running application uses it by name."""
    if not name or ((obj or {}).get("ObjectWithArgs") or {}).get("objargs"):
        return False
    f = ctx.schema.functions.get(name.lower())
    return f is not None and f.trigger

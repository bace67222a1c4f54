import os

from ..engine.registry import Rule
from ..model.schema import object_names
from ._common import alter_table_cmds, fitted, qname

RULE = Rule(
    "PG604", "missing-object",
    summary="ALTER/DROP/CREATE INDEX on a table, column or index no earlier migration (or baseline) created",
    category="history",
)

_COLUMN_CMDS = {"AT_AlterColumnType", "AT_SetNotNull", "AT_DropNotNull", "AT_ColumnDefault", "AT_DropColumn",
                "AT_SetStatistics", "AT_SetStorage"}


# tables the migration tools create for their own bookkeeping
_TOOL_TABLES = frozenset({
    "schema_migrations", "ar_internal_metadata", "flyway_schema_history", "goose_db_version",
    "__diesel_schema_migrations", "_prisma_migrations", "schema_version", "migrations", "knex_migrations",
    "alembic_version", "django_migrations",
})


def _active(ctx) -> bool:
    """Judged only in forward migrations of a whole history (or with a baseline): a
    rollback runs against whatever state the tool rolls back from."""
    return ctx.complete_history and not (ctx.stmt is not None and ctx.stmt.rollback)


def _known_schema(ctx, schema_name) -> bool:
    """Only judge objects in schemas the history knows (public or created in it)."""
    return schema_name in ctx.schema.schemas


def _table_missing(ctx, rv) -> bool:
    if not rv:
        return False
    key = ctx.schema.rv_key(rv)
    return (_known_schema(ctx, key[0]) and key not in ctx.schema.tables and key[0] != "pg_temp"
            and key[1] not in _TOOL_TABLES)


def _dynamic(ctx) -> str:
    """The caveat when earlier SQL ran that pglint does not see (built at run time by EXECUTE,
    or written by a template action of the migration tool): it may have created the object
    under any name."""
    o = ctx.schema.dynamic_ddl
    if o is None:
        return ""
    return os.path.basename(o.path) or "an earlier migration"


def _maybe(ctx, message: str) -> str:
    where = _dynamic(ctx)
    if not where:
        return message
    return fitted(f"{message} by name (dynamic SQL in {where} may)", f"{message} by name (dynamic SQL may)",
                  f"{message} by name")


def _why(ctx, why: str) -> str:
    where = _dynamic(ctx)
    if not where:
        return why
    return (f"{where} runs SQL that pglint does not see (built at run time by EXECUTE in a DO block or in a function "
            f"it calls, or written by a template action of the migration tool): it may have created this object. "
            f"{why}")


def _report_table(ctx, rv, what):
    baseline = " or the baseline" if ctx.settings.baseline else ""
    help = ("Check the name and the order of the migrations; if the object is created elsewhere (an extension, "
            "a manual change), give pglint a baseline schema dump (--baseline) or suppress this line.")
    if _dynamic(ctx):
        help = ("If that dynamic SQL creates it, mark the statement `-- pglint: ignore[missing-object] created by "
                "<function>`, or give pglint a baseline schema dump (--baseline) that has it; else " + help[0].lower()
                + help[1:])
    ctx.report(
        _maybe(ctx, f"{what} {qname(rv)}, which no earlier migration{baseline} creates"),
        explanation=_why(ctx, "The name is a typo, the migrations run out of order, or the object is created outside "
                              "the migrations; if it really does not exist, the statement fails."),
        at=ctx.relation_span(rv), relation=None, help=help,
    )


@RULE.on("AlterTableStmt")
def alter(ctx, node):
    if not _active(ctx) or node.get("missing_ok") or node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
        return
    rv = node.get("relation")
    if _table_missing(ctx, rv):
        _report_table(ctx, rv, "ALTER TABLE on")
        return
    t = ctx.schema.table(rv)
    if t is None or not t.complete:
        return
    added = set()
    for i, cmd in enumerate(alter_table_cmds(node)):
        sub = cmd.get("subtype")
        if sub == "AT_AddColumn":
            added.add(((cmd.get("def") or {}).get("ColumnDef") or {}).get("colname"))
        elif sub in _COLUMN_CMDS and not cmd.get("missing_ok"):
            col = cmd.get("name", "")
            if col and col not in t.columns and col not in added:
                ctx.report(_maybe(ctx, f"Column {col} of {qname(rv)} is not created by any earlier migration"),
                           at=ctx.cmd_span(i),
                           explanation=_why(ctx, "The statement fails if the column really does not exist."),
                           help="Check the column name against the migration that created the table.")


@RULE.on("IndexStmt")
def index(ctx, node):
    if not _active(ctx):
        return
    rv = node.get("relation")
    if _table_missing(ctx, rv):
        _report_table(ctx, rv, "CREATE INDEX on")


@RULE.on("DropStmt")
def drop(ctx, node):
    if not _active(ctx) or node.get("missing_ok"):
        return
    rt = node.get("removeType")
    for obj in node.get("objects") or ():
        names = object_names(obj)
        if not names:
            continue
        schema = names[-2] if len(names) > 1 else None
        if rt == "OBJECT_TABLE":
            key = ctx.schema.key(schema, names[-1])
            if _known_schema(ctx, key[0]) and key not in ctx.schema.tables and key[1] not in _TOOL_TABLES:
                ctx.report(_maybe(ctx, f"DROP TABLE {'.'.join(names)} drops a table no earlier migration creates"),
                           explanation=_why(ctx, "The statement fails if the table does not exist."),
                           help="Check the name, or use DROP TABLE IF EXISTS.")
        elif rt == "OBJECT_INDEX":
            key = ctx.schema.index_key(schema, names[-1])
            if _known_schema(ctx, key[0]) and key not in ctx.schema.indexes:
                ctx.report(_maybe(ctx, f"DROP INDEX {'.'.join(names)} drops an index no earlier migration creates"),
                           explanation=_why(ctx, "The statement fails if the index does not exist."),
                           help="Check the name, or use DROP INDEX ... IF EXISTS.")

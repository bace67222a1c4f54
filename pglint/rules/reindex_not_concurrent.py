from ..engine.registry import Rule
from ..model.nodes import has_option
from ._common import fitted, outside_tx_hint, qname
from ._fixes import DISPLAY_ONLY, SAFE, Fix, first, insert_after

RULE = Rule(
    "PG103", "reindex-not-concurrent",
    summary="REINDEX without CONCURRENTLY blocks writes (PostgreSQL 12+ can rebuild online)",
    category="locking", fix="sometimes",
)

_KIND = {
    "REINDEX_OBJECT_INDEX": "INDEX",
    "REINDEX_OBJECT_TABLE": "TABLE",
    "REINDEX_OBJECT_SCHEMA": "SCHEMA",
    "REINDEX_OBJECT_DATABASE": "DATABASE",
}


@RULE.on("ReindexStmt")
def check(ctx, node):
    if ctx.pg_version < (12,):
        return
    kind = _KIND.get(node.get("kind", ""))
    if kind is None or has_option(node.get("params"), "concurrently"):
        return
    rv = node.get("relation")
    if kind == "TABLE" and ctx.is_new_table(rv):
        return
    if kind == "INDEX":
        schema, name = (rv or {}).get("schemaname"), (rv or {}).get("relname", "")
        if ctx.is_new_index(schema, name):
            return
        idx = ctx.schema.index(schema, name)
        if idx is not None and ctx.is_new(idx.table):
            return
    target = qname(rv) if rv else (node.get("name") or "")
    what, why = {
        "INDEX": ("takes a SHARE lock on its table and an ACCESS EXCLUSIVE lock on the index",
                  "It takes a SHARE lock on the index's table (writes are blocked) and an ACCESS EXCLUSIVE lock on "
                  "the index (queries that would use it wait)."),
        "TABLE": ("takes a SHARE lock on the table while every index of it is rebuilt",
                  "It takes a SHARE lock on the table (writes are blocked) while every index of it is rebuilt, each "
                  "under an ACCESS EXCLUSIVE lock that makes queries using it wait."),
        "SCHEMA": ("rebuilds every index of the schema, taking a SHARE lock on each table in turn",
                   "Each table's indexes are rebuilt under a SHARE lock on the table (writes are blocked) and an "
                   "ACCESS EXCLUSIVE lock on each index."),
        "DATABASE": ("rebuilds every index in the database, taking a SHARE lock on each table in turn",
                     "Each table's indexes are rebuilt under a SHARE lock on the table (writes are blocked) and an "
                     "ACCESS EXCLUSIVE lock on each index."),
    }[kind]
    help = (f"Rebuild online: REINDEX {kind} CONCURRENTLY {target}; it cannot run inside a transaction block")
    if ctx.in_transaction:
        help += f", so {outside_tx_hint(ctx)}"
    tok = first(ctx, kind)
    fix = None
    if tok is not None:
        edit = insert_after(tok, " CONCURRENTLY")
        fix = (Fix("Add CONCURRENTLY (and move the statement outside the transaction)", (edit,), DISPLAY_ONLY)
               if not ctx.concurrently_can_run() else Fix("Add CONCURRENTLY", (edit,), SAFE))
    ctx.report(fitted(f"REINDEX {kind} {target} {what}".replace("  ", " "),
                      f"REINDEX {kind} {target} takes a SHARE lock".replace("  ", " "),
                      f"REINDEX {kind} {target} without CONCURRENTLY".replace("  ", " ")),
               help=help + ".", explanation=why,
               relation=rv if kind == "TABLE" else None, fix=fix)

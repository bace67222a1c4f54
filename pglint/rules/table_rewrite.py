from ..engine.registry import Rule
from ..model.nodes import has_option
from ._common import alter_table_cmds, qname

RULE = Rule(
    "PG112", "table-rewrite",
    summary="VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD rewrite the table",
    category="locking",
)

_CMDS = {
    "AT_SetLogged": ("SET LOGGED", "There is no online way; do it while the table is small, or build a new table and swap."),
    "AT_SetUnLogged": ("SET UNLOGGED", "There is no online way; do it while the table is small, or build a new table and swap."),
    "AT_SetTableSpace": ("SET TABLESPACE", "Use pg_repack with --tablespace to move it online."),
    "AT_SetAccessMethod": ("SET ACCESS METHOD", "Build a new table with the access method, copy in batches, and swap."),
}
_REPACK = "Use pg_repack (or pg_squeeze) to rebuild the table online instead."


_WHY = ("Each table is copied (rewritten) under an ACCESS EXCLUSIVE lock: every read and write of it is blocked until "
        "the copy is finished.")

@RULE.on("VacuumStmt")
def vacuum(ctx, node):
    if not node.get("is_vacuumcmd") or not has_option(node.get("options"), "full"):
        return
    rels = [r.get("VacuumRelation", {}).get("relation") for r in node.get("rels") or ()]
    rels = [r for r in rels if r]
    if not rels:
        ctx.report("VACUUM FULL without a table list rewrites every table of the database", help=_REPACK,
                   explanation=_WHY)
        return
    for rv in rels:
        if not ctx.is_new_table(rv):
            ctx.report(f"VACUUM FULL rewrites {qname(rv)} under an ACCESS EXCLUSIVE lock", at=ctx.relation_span(rv),
                       help=_REPACK, relation=rv, explanation=_WHY)


@RULE.on("ClusterStmt")
def cluster(ctx, node):
    rv = node.get("relation")
    if rv is None:
        ctx.report("CLUSTER without a table rewrites every previously clustered table", help=_REPACK, explanation=_WHY)
        return
    if not ctx.is_new_table(rv):
        ctx.report(f"CLUSTER rewrites {qname(rv)} in index order under an ACCESS EXCLUSIVE lock",
                   at=ctx.relation_span(rv), help=_REPACK, relation=rv, explanation=_WHY)


@RULE.on("AlterTableStmt")
def alter(ctx, node):
    rv = node.get("relation")
    if ctx.is_new_table(rv):
        return
    what = "index" if node.get("objtype") == "OBJECT_INDEX" else "table"
    for i, cmd in enumerate(alter_table_cmds(node)):
        entry = _CMDS.get(cmd.get("subtype"))
        if entry is None:
            continue
        if what == "index" and ctx.is_new_index(*(rv.get("schemaname"), rv.get("relname", ""))):
            continue
        if cmd.get("subtype") == "AT_SetAccessMethod" and not ctx.access_method_changes(rv, cmd.get("name")):
            continue  # already the table's access method: PostgreSQL has nothing to rewrite
        label, help = entry
        ctx.report(f"{label} rewrites {what} {qname(rv)} under an ACCESS EXCLUSIVE lock", at=ctx.cmd_span(i), help=help,
                   relation=rv, explanation=_WHY)


@RULE.on("AlterTableMoveAllStmt")
def move_all(ctx, node):
    ctx.report("ALTER ... ALL IN TABLESPACE ... SET TABLESPACE moves every matching relation under an ACCESS EXCLUSIVE lock",
               explanation=_WHY,
               help="Move tables one at a time with pg_repack --tablespace.")

from ..engine.registry import Rule
from ._common import fitted, freed_earlier, skip_compat_check, qname, recreated_later, report

RULE = Rule(
    "PG204", "rename-table",
    summary="RENAME of a table breaks the running application's queries that use the old name",
    category="compatibility",
)


@RULE.on("RenameStmt")
def check(ctx, node):
    if node.get("renameType") != "OBJECT_TABLE" or skip_compat_check(ctx):
        return
    rv = node.get("relation")
    if ctx.is_new_table(rv):
        return
    t = ctx.schema.table(rv)
    if t is not None and t.kind not in ("r", "p"):
        return  # ALTER TABLE on a view or sequence: rename-object names the kind
    old_name = rv.get("relname", "")
    if recreated_later(ctx, "table", old_name) or recreated_later(ctx, "view", old_name):
        return  # a swap, or a view under the old name keeps old queries working
    if freed_earlier(ctx, "table", node.get("newname", "")):
        return  # the second half of a swap: this table takes a name freed earlier
    old, new = qname(rv), node.get("newname", "")
    report(ctx,
        fitted(f"Renaming table {old} to {new} breaks the running application", f"Renaming table {old} to {new}"),
        explanation=("From the moment this commits, every query that names the old table fails with 'relation ... does "
                     "not exist' until code using the new name is deployed (and that code fails if it is deployed "
                     "first)."),
        relation=rv,
        help=(f"Keep the old name working while the code moves: in one transaction ALTER TABLE {old} RENAME TO {new}; "
              f"CREATE VIEW {old} AS SELECT <its columns> FROM {new}; (a simple view is updatable, so old code keeps reading and "
              f"writing through it), deploy code that uses {new}, then DROP VIEW {old} in a later migration."),
    )

from ..engine.registry import Rule
from ._common import fitted, column_is_new, freed_earlier, skip_compat_check, qname, recreated_later, report

RULE = Rule(
    "PG203", "rename-column",
    summary="RENAME COLUMN breaks the running application's queries that use the old name",
    category="compatibility",
)


@RULE.on("RenameStmt")
def check(ctx, node):
    if node.get("renameType") != "OBJECT_COLUMN" or skip_compat_check(ctx):
        return
    rv = node.get("relation")
    old, new = node.get("subname", ""), node.get("newname", "")
    if column_is_new(ctx, rv, old):
        return
    table = (rv or {}).get("relname", "")
    if recreated_later(ctx, "column", f"{table}.{old}") or freed_earlier(ctx, "column", f"{table}.{new}"):
        return  # a swap: another column takes the old name later, or this one takes a name freed earlier
    rel = qname(rv)
    kind = {"OBJECT_VIEW": "view", "OBJECT_MATVIEW": "materialized view",
            "OBJECT_FOREIGN_TABLE": "foreign table"}.get(node.get("relationType", ""), "table")
    report(ctx,
        fitted(f"Renaming column {old} of {kind} {rel} to {new} breaks the running application",
               f"Renaming column {old} of {rel} to {new} breaks the running application",
               f"Renaming column {old} to {new} breaks the running application",
               f"Renaming column {old} to {new} breaks running code", f"Renaming column {old} to {new}"),
        explanation=("From the moment this commits, every query that names the old column fails with 'column ... does "
                     "not exist' until code using the new name is deployed (and that code fails if it is deployed "
                     "first)."),
        relation=rv,
        help=(f"Rename in steps: ALTER TABLE {rel} ADD COLUMN {new} <type>; keep both columns in sync (the application "
              f"writes both, or a trigger), backfill {new} from {old} in batches, move reads and writes to {new} and "
              f"deploy, then drop {old} in a later migration."),
    )

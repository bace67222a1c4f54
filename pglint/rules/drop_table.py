from ..engine.registry import Rule
from ..model.schema import object_names
from ._common import created_here, skip_compat_check, report

RULE = Rule(
    "PG202", "drop-table",
    summary="DROP TABLE deletes the data and breaks every query of the running application that uses the table",
    category="compatibility",
)


@RULE.on("DropStmt")
def check(ctx, node):
    if node.get("removeType") != "OBJECT_TABLE" or skip_compat_check(ctx):
        return
    cascade = node.get("behavior") == "DROP_CASCADE"
    for obj in node.get("objects") or ():
        names = object_names(obj)
        if not names:
            continue
        schema = names[-2] if len(names) > 1 else None
        if created_here(ctx, "table", schema, names[-1]):
            continue
        table = ".".join(names)
        msg = f"DROP TABLE {table} deletes the table and all its rows"
        why = ("Every query of the running application that still uses the table fails with 'relation ... does not "
               "exist', and the data can only come back from a backup.")
        if cascade:
            why += " CASCADE also drops the views that read it and the foreign keys of other tables that reference it."
        report(ctx,
            msg, relation=(schema, names[-1]), explanation=why,
            help=("Stop using the table first: deploy code that no longer reads or writes it, keep a copy if the data "
                  f"may be needed (pg_dump -t {table}), then drop it in a later migration marked "
                  "`-- pglint: ignore[drop-table] no deployed code uses it`."),
        )

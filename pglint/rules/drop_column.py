from ..engine.registry import Rule
from ._common import fitted, alter_table_cmds, column_is_new, skip_compat_check, qname, report, table_dropped_later

RULE = Rule(
    "PG201", "drop-column",
    summary="DROP COLUMN breaks the running application's queries that still use the column",
    category="compatibility",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE" or skip_compat_check(ctx):
        return
    rv = node.get("relation")
    if ctx.is_new_table(rv) or table_dropped_later(ctx, (rv or {}).get("relname", "")):
        return  # new, or the whole table is dropped later in the file (drop-table reports that)
    table = qname(rv)
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_DropColumn":
            continue
        col = cmd.get("name", "")
        if column_is_new(ctx, rv, col):
            continue
        msg = fitted(f"DROP COLUMN {col} removes a column of existing table {table} and its data",
                     f"DROP COLUMN {col} removes a column of {table} and its data", f"DROP COLUMN {col} of {table}")
        why = ("Every query of the running application that still names the column fails with 'column ... does not "
               "exist' from the moment this commits, and an ORM that loaded the column list at startup keeps writing "
               "it in every INSERT and UPDATE until it restarts.")
        if cmd.get("behavior") == "DROP_CASCADE":
            why += " CASCADE also drops the views, indexes and constraints that depend on the column."
        report(ctx,
            msg, at=ctx.cmd_span(i), relation=rv, explanation=why,
            help=(f"Drop it in two deploys: first ship code that no longer reads or writes {col} (e.g. Rails "
                  "ignored_columns, or remove the field from the model) and deploy it everywhere; then run "
                  f"ALTER TABLE {table} DROP COLUMN {col}; in a later migration, marked "
                  "`-- pglint: ignore[drop-column] no deployed code uses it`."),
        )

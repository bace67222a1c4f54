from ..engine.registry import Rule
from ._common import existing_column_cmds, report

RULE = Rule(
    "PG209", "drop-generated-expression",
    summary="ALTER COLUMN ... DROP EXPRESSION stops computing a generated column the application relies on",
    category="compatibility",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    for i, rv, table, col in existing_column_cmds(ctx, node, "AT_DropExpression"):
        report(ctx,
            f"DROP EXPRESSION turns generated column {table}.{col} into a plain column that is no longer computed",
            explanation=("Existing rows keep their values, but rows inserted or updated from now on no longer get the "
                         "column computed, so code of the running application that writes the other columns and reads "
                         "it gets NULL or stale values."),
            at=ctx.cmd_span(i), relation=rv,
            help=(f"First deploy code that writes {col} itself (or a trigger that computes it), then drop the "
                  "expression in a later migration marked `-- pglint: ignore[drop-generated-expression] <reason>`."),
        )

from ..engine.registry import Rule
from ._common import fitted, existing_column_cmds, report

RULE = Rule(
    "PG208", "drop-not-null",
    summary="DROP NOT NULL lets NULLs into a column that the running application reads as always set",
    category="compatibility",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    for i, rv, table, col in existing_column_cmds(ctx, node, "AT_DropNotNull"):
        report(ctx,
            fitted(f"DROP NOT NULL on {table}.{col} lets NULLs into a column the running application reads as set",
                   f"DROP NOT NULL on {table}.{col} lets NULLs into it"),
            explanation=("From now on NULLs can be written to the column, and code of the running application (and "
                         "other services, reports, exports) that reads it as always set breaks on the first NULL (a "
                         "non-optional field in the ORM or in a typed client fails to load the row)."),
            at=ctx.cmd_span(i), relation=rv,
            help=(f"First deploy code that handles a NULL {col} everywhere it is read, then drop the constraint in a "
                  "later migration marked `-- pglint: ignore[drop-not-null] readers handle NULL`."),
        )

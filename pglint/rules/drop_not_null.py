from ..engine.registry import Rule
from ._common import existing_column_cmds, report

RULE = Rule(
    "PG208", "drop-not-null",
    summary="DROP NOT NULL lets NULLs into a column that the running application reads as always set",
    category="compatibility",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    for i, rv, table, col in existing_column_cmds(ctx, node, "AT_DropNotNull"):
        report(ctx,
            f"DROP NOT NULL on {table}.{col}: from now on NULLs can be written to {col}, and code of the running "
            f"application (and other services, reports, exports) that reads {col} as always set breaks on the first "
            "NULL (a non-optional field in the ORM or in a typed client fails to load the row)",
            at=ctx.cmd_span(i), relation=rv,
            help=(f"First deploy code that handles a NULL {col} everywhere it is read, then drop the constraint in a "
                  "later migration marked `-- pglint: ignore[drop-not-null] readers handle NULL`."),
        )

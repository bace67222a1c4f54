from ..engine.registry import Rule
from ._columns import column_sites, type_span
from ._common import report

RULE = Rule(
    "PG308", "money-column",
    summary="money column (locale-dependent, fixed fraction) instead of numeric",
    category="design", default=False,
)


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    for s in column_sites(ctx, node):
        if s.type.name != "money":
            continue
        arr = "[]" * s.type.array
        report(ctx,
            f"{s.display} is money, whose format and decimals follow the server's locale",
            explanation=("Its input and output follow the server's lc_monetary (the application gets text such as "
                         "'$1,234.50' to parse), the number of decimals is fixed by that locale, so restoring a dump "
                         "on a server with another lc_monetary misreads the amounts, and it cannot hold currencies "
                         "with other fractions."),
            at=type_span(ctx, s), relation=s.table,
            help=f"Use numeric with an explicit scale, and the currency in its own column: {s.name} numeric(19, 4){arr}.",
        )

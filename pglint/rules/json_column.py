from ..engine.registry import Rule
from ._columns import column_sites, retype_sql, type_fix, type_span
from ._common import report

RULE = Rule(
    "PG305", "json-column",
    summary="json column instead of jsonb",
    category="design", fix="sometimes",
)


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    for s in column_sites(ctx, node):
        if s.type.name != "json":
            continue
        arr = "[]" * s.type.array
        report(ctx,
            f"{s.display} is json, not jsonb",
            explanation=("json stores the text as written: every access parses it again, it has no equality operator "
                         "(SELECT DISTINCT, GROUP BY, UNION and = on the column fail with 'could not identify an "
                         "equality operator for type json'), and it cannot be indexed with GIN."),
            at=type_span(ctx, s), relation=s.table, fix=type_fix(ctx, s, "jsonb", "Use jsonb"),
            help=(f"Use jsonb: {s.name} jsonb{arr} (parsed once on write, comparable, GIN-indexable; it does not keep "
                  "key order, duplicate keys or whitespace, so keep json only if the exact text matters)"
                  + (f". {retype_sql(s, 'jsonb' + arr)}" if s.where == "type" else "") + "."),
        )

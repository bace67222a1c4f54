from ..engine.registry import Rule
from ._columns import retype_sql, type_span
from ._keys import non_key_sites
from ._common import report

RULE = Rule(
    "PG316", "int-column",
    summary="Any integer/smallint column (not only keys) that may outgrow its range; prefer bigint",
    category="design", default=False,
)

_LIMIT = {"int4": "2,147,483,647", "int2": "32,767"}


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    for s in non_key_sites(ctx, node):
        base = s.type.base_integer
        if base not in _LIMIT:
            continue
        report(ctx,
            f"{s.display} has type {s.type.display()}, which stops at {_LIMIT[base]}",
            explanation=("Counters, totals and ids from other systems outgrow it, writes then fail with 'integer out "
                         "of range' (or 'smallint out of range'), and widening it later rewrites the table under an "
                         "ACCESS EXCLUSIVE lock."),
            at=type_span(ctx, s), relation=s.table,
            help=f"Use bigint unless the range is bounded by design: {s.name} bigint"
                 + (f" ({retype_sql(s, 'bigint')})" if s.where == "type" else ""),
        )

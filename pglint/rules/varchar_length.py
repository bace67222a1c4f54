from ..engine.registry import Rule
from ._columns import column_sites, type_span
from ._common import report

RULE = Rule(
    "PG307", "varchar-length",
    summary="varchar(n) column where text with a CHECK constraint is easier to change",
    category="design", default=False,
)


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    for s in column_sites(ctx, node):
        if s.type.name != "varchar" or not s.type.mods:
            continue
        n = s.type.mods[0]
        arr = "[]" * s.type.array
        report(ctx,
            f"{s.display} is varchar({n}): its length limit is part of the type",
            explanation=("Changing the limit later is an ALTER COLUMN TYPE under an ACCESS EXCLUSIVE lock (a full "
                         "rewrite when lowering it) that fails while a view uses the column, and values one character "
                         "too long fail with 'value too long for type character varying(n)'; a CHECK constraint can be "
                         "swapped without blocking (ADD ... NOT VALID, then VALIDATE)."),
            at=type_span(ctx, s), relation=s.table,
            help=(f"Use text with a named CHECK: {s.name} text{arr}"
                  + ("" if arr else f" CONSTRAINT {s.table.get('relname', 't')}_{s.name}_length "
                                    f"CHECK (char_length({s.name}) <= {n})") + "."),
        )

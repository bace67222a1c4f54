from ..engine.registry import Rule
from ._columns import column_sites, type_fix, type_span
from ._common import report

RULE = Rule(
    "PG306", "char-column",
    summary="char(n) / character(n) column (blank-padded) instead of text or varchar",
    category="design", fix="sometimes",
)


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    for s in column_sites(ctx, node):
        if s.type.name != "bpchar":
            continue
        n = s.type.mods[0] if s.type.mods else None
        arr = "[]" * s.type.array
        size = f"char({n})" if n is not None else "bpchar"
        limit = f" CHECK (char_length({s.name}) <= {n})" if n is not None else ""
        pad = f"values shorter than {n} characters are padded with spaces" if n not in (None, 1) else \
            "values are blank-padded"
        report(ctx,
            f"{s.display} is {size}{arr}: {pad}",
            explanation=("The application gets the padding back, and LIKE, regular expressions and casts to text "
                         "treat it differently from = (where trailing spaces are ignored); longer values fail with "
                         "'value too long for type character(n)', and it takes no less space than text."),
            at=type_span(ctx, s), relation=s.table, fix=type_fix(ctx, s, "text", "Use text"),
            help=f"Use text, with a CHECK if the length is a rule: {s.name} text{arr}" + ("" if arr else limit) + ".",
        )

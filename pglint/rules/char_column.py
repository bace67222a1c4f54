from ..engine.registry import Rule
from ._columns import column_sites, type_span

RULE = Rule(
    "PG306", "char-column",
    summary="char(n) / character(n) column (blank-padded) instead of text or varchar",
    category="design",
)


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    for s in column_sites(ctx, node):
        if s.type.name != "bpchar":
            continue
        n = s.type.mods[0] if s.type.mods else None
        arr = "[]" * s.type.array
        size = f"char({n})" if n is not None else "bpchar"
        limit = (f" CHECK (char_length({s.name}) <= {n})" if n is not None and n != 1 else
                 f" CHECK (char_length({s.name}) = 1)" if n == 1 else "")
        ctx.report(
            f"{s.display} is {size}{arr}: values are padded with spaces"
            + (f" to {n} characters" if n is not None else "")
            + ", the padding is returned to the application ('ab' comes back as 'ab' plus spaces), trailing spaces "
              "are ignored in comparisons but not by LIKE, regular expressions or the application, and it takes no "
              "less space than text",
            at=type_span(ctx, s), relation=s.table,
            help=f"Use text, with a CHECK if the length is a rule: {s.name} text{arr}" + ("" if arr else limit) + ".",
        )

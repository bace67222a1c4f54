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
        if n is None:
            # bpchar without a length stores values as given, of any length (nothing is padded
            # or refused), but still compares them ignoring trailing spaces
            pad = "trailing spaces are ignored by = but not by LIKE"
            why = ("A bpchar without a length keeps values as written, of any length, but =, unique indexes, "
                   "length() and casts to text ignore trailing spaces while LIKE and regular expressions see them: "
                   "'a' and 'a ' are duplicates for a unique key and different for LIKE 'a'.")
        else:
            pad = f"values shorter than {n} characters are padded with spaces" if n != 1 else "values are blank-padded"
            why = ("The application gets the padding back; = ignores it (and a cast to text drops it) but LIKE and "
                   "regular expressions see it, so the same value matches one way and not the other; longer values "
                   "fail with 'value too long for type character(n)', and it takes no less space than text.")
        report(ctx,
            f"{s.display} is {size}{arr}: {pad}",
            explanation=why,
            at=type_span(ctx, s), relation=s.table, fix=type_fix(ctx, s, "text", "Use text"),
            help=f"Use text, with a CHECK if the length is a rule: {s.name} text{arr}" + ("" if arr else limit) + ".",
        )

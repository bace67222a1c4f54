from pglast import parser

from ..engine.registry import EVERYWHERE, Rule
from ..engine.prefilter import may_hold_long_identifier
from ._common import fitted, report, substituted_spans

RULE = Rule(
    "PG309", "identifier-too-long",
    summary="Identifier longer than 63 bytes, which PostgreSQL silently truncates",
    category="design", scope=EVERYWHERE,
    needs=("@long-identifier",),  # the engine skips the files where no name can be that long
)

MAX = 63  # NAMEDATALEN - 1
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _tokens(ctx, unit):
    """(file start, file end, identifier) of the identifier tokens of a parse unit (cached:
    for the statements of single-quoted bodies, whose unit text is not the file's)."""
    cache = ctx.rule_state().setdefault("units", {})
    key = id(unit)
    if key in cache:
        return cache[key][1]
    out = _long_names(unit.text, lambda c: _file_offset(unit, c))
    cache[key] = (unit, out)  # keep the unit alive so its id is not reused
    return out


def _stmt_tokens(ctx, stmt):
    """The same for one statement: its text alone is scanned (a statement starts where the
    scanner is between tokens), and only when it may hold a long name at all."""
    if not may_hold_long_identifier(ctx.sql[stmt.start:stmt.end]):
        return ()
    unit = stmt.unit
    if unit.single_quoted:
        return _tokens(ctx, unit)
    start = stmt.start - unit.base
    return _long_names(unit.text[start:stmt.end - unit.base], lambda c: stmt.start + c)


def _long_names(text_of, offset):
    out = []
    try:
        toks = parser.scan(text_of)
    except Exception:  # the scanner gives up on some inputs: nothing to report then
        toks = []
    for t in toks:  # the scanner's offsets are characters, end inclusive
        if t.end - t.start < 15 or t.name not in ("IDENT", "UIDENT"):
            continue  # a name of 15 characters or fewer is at most 60 bytes
        text = text_of[t.start:t.end + 1]
        if len(text.encode("utf-8")) <= MAX:
            continue
        if t.name == "IDENT" and text.startswith('"'):
            ident = text[1:-1].replace('""', '"')
        elif t.name == "UIDENT":
            continue  # U&"..." escapes: the length is only known after decoding
        else:
            ident = text.translate(_ASCII_LOWER)  # PostgreSQL folds only ASCII letters (UTF-8)
        if len(ident.encode("utf-8")) <= MAX:
            continue
        out.append((offset(t.start), offset(t.end + 1), ident))
    return out


@RULE.on("*")
def check(ctx, stmt):
    seen = ctx.rule_state().setdefault("seen", set())
    holes = substituted_spans(ctx)
    for start, end, ident in _stmt_tokens(ctx, stmt):
        if not (stmt.start <= start < stmt.end) or ident in seen:
            continue
        if any(ps < end and start < pe for ps, pe in holes):
            continue  # a template placeholder stands here, not the real name
        if _inside_embedded(stmt, start):
            continue  # reported with the embedded statement itself
        seen.add(ident)
        size = len(ident.encode("utf-8"))
        short = ident.encode("utf-8")[:MAX].decode("utf-8", "ignore")
        report(ctx,
            fitted(f"Identifier \"{ident}\" is {size} bytes: PostgreSQL truncates it to \"{short}\"",
                   f"Identifier \"{ident}\" is {size} bytes, over the {MAX} PostgreSQL keeps",
                   f"Identifier \"{ident}\" is {size} bytes, over {MAX}",
                   f"Identifier of {size} bytes is truncated to \"{short}\""),
            explanation=(f"PostgreSQL silently truncates names to {MAX} bytes: tools and code that look the full name "
                         "up in the catalog (ORMs, schema diffs, migration checks) do not find it, and two long names "
                         f"that share their first {MAX} bytes collide ('already exists')."),
            at=(start, end),
            help=f"Use a name of at most {MAX} bytes (abbreviate it), so that the name in the catalog is the name "
                 f"in the code (PostgreSQL names it \"{short}\").",
        )


def _file_offset(unit, char: int) -> int:
    """File offset of a character offset into a parse unit ('' in a single-quoted body is
    one ' in the unit's text)."""
    if unit.single_quoted:
        char += unit.text.count("'", 0, char)
    return unit.base + char


def _inside_embedded(stmt, offset: int) -> bool:
    for e in stmt.embedded:
        if e.unit is stmt.unit and e.start <= offset < e.end:
            return True
    return False

from ..engine.registry import Rule
from ._columns import column_sites, retype_sql, type_fix, type_span
from ._common import report

RULE = Rule(
    "PG303", "timestamp-without-time-zone",
    summary="timestamp (without time zone) column instead of timestamptz",
    category="design", fix="sometimes",
)


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    for s in column_sites(ctx, node):
        if s.type.name != "timestamp":
            continue
        arr = "[]" * s.type.array
        mods = f"({s.type.mods[0]})" if s.type.mods else ""
        help = f"Use timestamptz: {s.name} timestamptz{mods}{arr}"
        if s.where == "type":
            help += f" ({retype_sql(s, 'timestamptz' + mods + arr)})"
        else:
            help += (" (it stores an instant and shows it in each session's time zone). To convert an existing "
                     f"column: ALTER TABLE ... ALTER COLUMN {s.name} TYPE timestamptz USING {s.name} AT TIME ZONE "
                     "'UTC' (a rewrite, unless PostgreSQL 12+ and the session time zone is UTC)")
        report(ctx,
            f"{s.display} is timestamp without time zone",
            explanation=(
            "It stores a wall-clock reading with no zone, so the same "
            "value means different instants for writers in different session time zones, now() and timestamptz "
            "values are converted with the session's TimeZone when stored or compared, and local times are "
            "ambiguous or missing across daylight-saving changes."),
            at=type_span(ctx, s), relation=s.table, help=help + ".",
            fix=type_fix(ctx, s, "timestamptz" + mods, "Use timestamptz"),
        )

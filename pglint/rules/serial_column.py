from ..engine.registry import Rule
from ..model.types import SERIAL_TYPES
from ._columns import column_sites, type_span
from ._common import report

RULE = Rule(
    "PG302", "serial-column",
    summary="serial/bigserial/smallserial column instead of GENERATED ... AS IDENTITY",
    category="design",
)

_BASE = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    for s in column_sites(ctx, node):
        if s.type.name not in SERIAL_TYPES or s.type.array:
            continue
        base = "bigint" if s.type.name != "smallserial" else "smallint"
        report(ctx,
            f"{s.display} is {s.type.name}: a plain {_BASE[s.type.name]} with a DEFAULT nextval() on a separate "
            "sequence, which roles granted INSERT on the table cannot use without their own USAGE grant on the "
            "sequence ('permission denied for sequence'), which explicit ids written by hand or by a data copy do "
            "not advance (the next default insert then fails with 'duplicate key'), and which CREATE TABLE ... LIKE "
            "copies as a default that still points at the old table's sequence",
            at=type_span(ctx, s), relation=s.table,
            help=(f"Use an identity column: {s.name} {base} GENERATED ALWAYS AS IDENTITY (or BY DEFAULT if the "
                  "application must sometimes supply ids); its sequence belongs to the column and needs no separate "
                  "grant."),
        )

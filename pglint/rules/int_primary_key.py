from ..engine.registry import Rule
from ._columns import column_sites, type_fix, type_span
from ._common import fitted, qname, report
from ._keys import added_key_columns, key_roles

RULE = Rule(
    "PG301", "int-primary-key",
    summary="Primary-key or foreign-key column of type integer/smallint (or serial) that will overflow",
    category="design", fix="sometimes",
)

_LIMIT = {"int4": "2,147,483,647", "int2": "32,767"}


def _message(table: str, col: str, typ, role) -> tuple[str, str] | None:
    """(first line, explanation), or None when the type is wide enough."""
    base = typ.base_integer
    if base not in _LIMIT:
        return None
    shown = typ.display()
    limit = _LIMIT[base]
    if role[0] == "primary key":
        return (f"{table}.{col} is the primary key with type {shown}, which holds at most {limit} ids",
                "Once the sequence passes that, every INSERT fails ('integer out of range' or 'nextval: reached "
                "maximum value'); moving to bigint then rewrites the table and every index under an ACCESS EXCLUSIVE "
                "lock.")
    ref = f" to {role[1]}" if role[1] else ""
    return (fitted(f"{table}.{col} is a foreign key{ref} with type {shown}, which holds ids up to {limit} only",
                   f"{table}.{col} is a foreign key{ref} with type {shown}"),
            "Once the referenced ids pass that, rows pointing to them cannot be stored ('integer out of range'), and "
            "moving to bigint then rewrites the table under an ACCESS EXCLUSIVE lock.")


def _help(col: str, role) -> str:
    if role[0] == "primary key":
        return f"Use bigint from the start: {col} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    return f"Declare it bigint ({col} bigint REFERENCES ...), like the key it points to should be"


@RULE.on("CreateStmt", "AlterTableStmt")
def check(ctx, node):
    sites = column_sites(ctx, node)
    for i, role in key_roles(ctx, node, sites).items():
        s = sites[i]
        msg = _message(qname(s.table), s.name, s.type, role)
        if msg is not None:
            wider = "bigserial" if s.type.name in ("serial", "smallserial") else "bigint"
            report(ctx, msg[0], explanation=msg[1], at=type_span(ctx, s), help=_help(s.name, role), relation=s.table,
                   fix=type_fix(ctx, s, wider, f"Use {wider}"))
    for i, col, typ, role in added_key_columns(ctx, node):
        msg = _message(qname(node.get("relation")), col, typ, role)
        if msg is not None:
            report(ctx, msg[0], explanation=msg[1], at=ctx.cmd_span(i), relation=node.get("relation"),
                       help=_help(col, role) + f"; change {col} to bigint before adding the key")

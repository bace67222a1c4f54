from ..engine.registry import Rule
from ..model.nodes import strings
from ..model.types import column_type
from ._common import fitted, alter_table_cmds, column_constraints, column_def_of, constraint_of, qname

RULE = Rule(
    "PG602", "fk-type-mismatch",
    summary="A foreign key column whose type differs from the referenced column's type",
    category="history",
)

_TEXT = {"text", "varchar", "bpchar", "citext"}
_RANK = {"int2": 1, "int4": 2, "int8": 3}


def _base(t):
    if t is None:
        return None
    name = t.base_integer or t.name
    if name in _TEXT:
        name = "text"
    return (name, t.array)


def _shown(declared, base) -> str:
    """A type as declared, with the type under it when it is a domain."""
    if declared == base:
        return base.display()
    return f"{declared.display()} ({base.display()})"


def _check(ctx, span, table, cols, con, coltypes):
    ref_rv = con.get("pktable")
    ref = ctx.schema.table(ref_rv)
    if ref is None:
        return
    ref_cols = strings(con.get("pk_attrs"))
    if not ref_cols:
        pk = [c for c in ref.constraints.values() if c.kind == "p"]
        ref_cols = list(pk[0].columns) if pk else []
    for col, rcol in zip(cols, ref_cols):
        # a domain is compared by the type it is over: its values are stored and compared as
        # that type (the foreign key uses the base type's equality operator)
        declared = coltypes.get(col)
        rc = ref.columns.get(rcol)
        ref_declared = rc.type if rc is not None else None
        mine, theirs = ctx.schema.base_type(declared), ctx.schema.base_type(ref_declared)
        a, b = _base(mine), _base(theirs)
        if a is None or b is None or a == b:
            continue
        if mine.schema or theirs.schema:
            continue
        if a[0] in _RANK and b[0] in _RANK and _RANK[a[0]] > _RANK[b[0]]:
            continue  # a wider key than the one it references: same operator family, no risk
        shown, ref_shown = _shown(declared, mine), _shown(ref_declared, theirs)
        msg = fitted(f"{table}.{col} is {shown} but it references {qname(ref_rv)}.{rcol}, which is {ref_shown}",
                     f"{table}.{col} is {shown} but the column it references is {ref_shown}",
                     f"{table}.{col} is {mine.display()} but the column it references is {theirs.display()}")
        if a[0] in _RANK and b[0] in _RANK and _RANK[a[0]] < _RANK[b[0]]:
            why = ("Once the referenced key grows past what the narrower type holds, rows referencing the new keys "
                   "cannot be inserted.")
        else:
            why = ("Every check and join on the key compares across types (casts, and a plan that may not use the "
                   "index).")
        ctx.report(msg, at=span, relation=ref_rv, explanation=why,
                   help=f"Give {col} the referenced column's type ({ref_declared.display()}).")


@RULE.on("CreateStmt")
def create(ctx, node):
    rv = node.get("relation")
    coltypes = {}
    for elt in node.get("tableElts") or ():
        if "ColumnDef" in elt:
            cd = elt["ColumnDef"]
            coltypes[cd.get("colname")] = column_type(cd.get("typeName"))
    for elt in node.get("tableElts") or ():
        if "ColumnDef" in elt:
            cd = elt["ColumnDef"]
            for con in column_constraints(cd):
                if con.get("contype") == "CONSTR_FOREIGN":
                    _check(ctx, ctx.node_span(con), qname(rv), [cd.get("colname")], con, coltypes)
        elif "Constraint" in elt and elt["Constraint"].get("contype") == "CONSTR_FOREIGN":
            con = elt["Constraint"]
            _check(ctx, ctx.node_span(con), qname(rv), strings(con.get("fk_attrs")), con, coltypes)


@RULE.on("AlterTableStmt")
def alter(ctx, node):
    rv = node.get("relation")
    t = ctx.schema.table(rv)
    coltypes = {name: c.type for name, c in (t.columns.items() if t is not None else ())}
    for i, cmd in enumerate(alter_table_cmds(node)):
        sub = cmd.get("subtype")
        if sub == "AT_AddColumn":
            cd = column_def_of(cmd) or {}
            coltypes[cd.get("colname")] = column_type(cd.get("typeName"))
            for con in column_constraints(cd):
                if con.get("contype") == "CONSTR_FOREIGN":
                    _check(ctx, ctx.cmd_span(i), qname(rv), [cd.get("colname")], con, coltypes)
        elif sub == "AT_AddConstraint":
            con = constraint_of(cmd) or {}
            if con.get("contype") == "CONSTR_FOREIGN":
                _check(ctx, ctx.cmd_span(i), qname(rv), strings(con.get("fk_attrs")), con, coltypes)

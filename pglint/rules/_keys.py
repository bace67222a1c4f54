"""Primary-key and foreign-key columns of a statement, for the integer-width rules
(not a rule: modules starting with _ are skipped)."""

from __future__ import annotations

from ..model.nodes import strings
from ._columns import ColumnSite, column_sites
from ._common import alter_table_cmds, column_constraints, constraint_of, qname


def key_roles(ctx, node: dict, sites: list[ColumnSite]) -> dict[int, tuple[str, str | None]]:
    """For each site (by position) that is a key column: ("primary key", None) for the
    column of a single-column primary key, or ("foreign key", referenced table). The
    columns of a composite primary key that are not foreign keys are not key columns here:
    they are parts (a shard number, a position) whose range is bounded by design."""
    out: dict[int, tuple[str, str | None]] = {}
    by_name = {s.name: i for i, s in enumerate(sites) if s.where in ("create", "add")}
    stmt = ctx.stmt
    for i, s in enumerate(sites):
        if s.where == "type":
            role = _model_role(ctx, s.table, s.name)
            if role is not None:
                out[i] = role
            continue
        for con in column_constraints(s.coldef):
            role = _role(con)
            if role is not None and (i not in out or role[0] == "primary key"):
                out[i] = role
    table_cons = []
    if stmt.type == "CreateStmt":
        for elt in list(node.get("tableElts") or ()) + list(node.get("constraints") or ()):
            if "Constraint" in elt:
                table_cons.append(elt["Constraint"])
    for con in table_cons:
        role = _role(con)
        if role is None:
            continue
        cols = strings(con.get("keys")) if role[0] == "primary key" else strings(con.get("fk_attrs"))
        if role[0] == "primary key" and len(cols) > 1:
            continue  # a part of a composite key (a shard number, a position) is bounded by design
        for c in cols:
            i = by_name.get(c)
            if i is not None and (i not in out or role[0] == "primary key"):
                out[i] = role
    return out


def added_key_columns(ctx, node: dict):
    """ALTER TABLE ... ADD CONSTRAINT PRIMARY KEY / FOREIGN KEY over existing columns whose
    type the schema model knows: (cmd index, column, ColumnType, role)."""
    out = []
    if ctx.stmt.type != "AlterTableStmt" or ctx.stmt.rollback:
        return out
    rv = node.get("relation")
    t = ctx.schema.table(rv)
    if t is None or t.persistence == "t":
        return out
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_AddConstraint":
            continue
        con = constraint_of(cmd) or {}
        role = _role(con)
        if role is None or con.get("indexname"):
            continue
        cols = strings(con.get("keys")) if role[0] == "primary key" else strings(con.get("fk_attrs"))
        if role[0] == "primary key" and len(cols) > 1:
            continue
        for c in cols:
            col = t.columns.get(c)
            if col is not None and col.type is not None:
                out.append((i, c, col.type, role))
    return out


def _role(con: dict) -> tuple[str, str | None] | None:
    ct = con.get("contype")
    if ct == "CONSTR_PRIMARY":
        return ("primary key", None)
    if ct == "CONSTR_FOREIGN":
        return ("foreign key", qname(con.get("pktable")))
    return None


def _model_role(ctx, rv, column: str):
    t = ctx.schema.table(rv)
    if t is None:
        return None
    role = None
    for c in t.constraints.values():
        if column not in c.columns:
            continue
        if c.kind == "p" and len(c.columns) == 1:
            return ("primary key", None)
        if c.kind == "f" and role is None:
            role = ("foreign key", f"{c.ref_table[1]}" if c.ref_table else None)
    return role


def non_key_sites(ctx, node: dict) -> list[ColumnSite]:
    sites = column_sites(ctx, node)
    roles = key_roles(ctx, node, sites)
    return [s for i, s in enumerate(sites) if i not in roles]

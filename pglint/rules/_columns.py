"""Column definitions for the type rules (not a rule: modules starting with _ are skipped).

The schema-design type rules look at every column a statement defines or retypes:
``CREATE TABLE`` columns, ``ALTER TABLE ... ADD COLUMN`` and ``ALTER COLUMN ... TYPE``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.types import ColumnType, column_type
from ._common import alter_table_cmds, column_def_of, qname


@dataclass(slots=True)
class ColumnSite:
    table: dict  # RangeVar fields of the table
    name: str  # column name
    coldef: dict  # ColumnDef fields
    type: ColumnType  # normalised type
    type_node: dict  # TypeName fields (has the location)
    where: str  # "create" | "add" | "type"
    cmd_index: int | None = None  # ALTER TABLE subcommand index

    @property
    def display(self) -> str:
        return f"{qname(self.table)}.{self.name}"


def column_sites(ctx, node: dict, *, temporary: bool = False) -> list[ColumnSite]:
    """Columns defined or retyped by the current CREATE TABLE / ALTER TABLE statement.

    Skipped: statements of a down (rollback) migration, which restore an earlier schema
    the author cannot redesign there, temporary tables unless ``temporary`` (they vanish
    with the session), and column entries without a type (partition column options).
    """
    stmt = ctx.stmt
    if stmt is None or stmt.rollback:
        return []
    cache = ctx.state.setdefault("_columns", {})  # several rules ask about the same statement
    key = (stmt.index, temporary)
    if key in cache:
        return cache[key]
    out = cache[key] = _sites(ctx, stmt, node, temporary)
    return out


def _sites(ctx, stmt, node: dict, temporary: bool) -> list[ColumnSite]:
    out: list[ColumnSite] = []
    if stmt.type == "CreateStmt":
        rv = node.get("relation") or {}
        if rv.get("relpersistence") == "t" and not temporary:
            return []
        for elt in node.get("tableElts") or ():
            cd = elt.get("ColumnDef")
            if cd:
                site = _site(rv, cd, "create", None)
                if site is not None:
                    out.append(site)
    elif stmt.type == "AlterTableStmt":
        if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
            return []
        rv = node.get("relation") or {}
        t = ctx.schema.table(rv)
        if t is not None and t.persistence == "t" and not temporary:
            return []
        for i, cmd in enumerate(alter_table_cmds(node)):
            sub = cmd.get("subtype")
            if sub not in ("AT_AddColumn", "AT_AlterColumnType"):
                continue
            cd = column_def_of(cmd)
            if not cd:
                continue
            if sub == "AT_AlterColumnType":
                cd = dict(cd, colname=cmd.get("name", ""))
            site = _site(rv, cd, "add" if sub == "AT_AddColumn" else "type", i)
            if site is not None:
                out.append(site)
    return out


def _site(rv: dict, cd: dict, where: str, i: int | None) -> ColumnSite | None:
    tn = cd.get("typeName")
    typ = column_type(tn)
    if typ is None:
        return None
    return ColumnSite(rv, cd.get("colname", ""), cd, typ, tn, where, i)


def type_span(ctx, site: ColumnSite) -> tuple[int, int]:
    """The column's type as written (from its first token to the end of the type,
    including a modifier list, array brackets and WITH/WITHOUT TIME ZONE)."""
    from ._fixes import type_span as _span

    loc = ctx.stmt.loc(site.type_node)
    if loc is None:
        return ctx.cmd_span(site.cmd_index) if site.cmd_index is not None else (ctx.stmt.start, ctx.stmt.end)
    return _span(ctx, loc)


def type_fix(ctx, site: ColumnSite, new_type: str, title: str):
    """An unsafe fix replacing the column's type as written by ``new_type`` (array
    brackets kept). Unsafe: the column's behaviour changes."""
    from ._fixes import UNSAFE, Fix, replace

    loc = ctx.stmt.loc(site.type_node)
    if loc is None:
        return None
    start, end = type_span(ctx, site)
    return Fix(title, (replace(start, end, new_type + "[]" * site.type.array),), UNSAFE)


def retype_sql(site: ColumnSite, new_type: str, using: str | None = None) -> str:
    """The statement that changes the column to ``new_type`` (for help texts)."""
    u = f" USING {using}" if using else ""
    return f"ALTER TABLE {qname(site.table)} ALTER COLUMN {site.name} TYPE {new_type}{u};"

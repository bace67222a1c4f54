from ..engine.registry import Rule
from ._common import fitted, column_constraints, qname, report_at_statement

RULE = Rule(
    "PG304", "missing-primary-key",
    summary="CREATE TABLE with no primary key (partitions, temporary and unlogged tables excepted)",
    category="design",
)


def _has_primary_key(node: dict) -> bool | None:
    """True / False, or None when a LIKE clause may copy one."""
    for elt in list(node.get("tableElts") or ()) + list(node.get("constraints") or ()):
        if "TableLikeClause" in elt:
            return None
        con = elt.get("Constraint")
        if con and con.get("contype") == "CONSTR_PRIMARY":
            return True
        cd = elt.get("ColumnDef")
        if cd and any(c.get("contype") == "CONSTR_PRIMARY" for c in column_constraints(cd)):
            return True
    return False


@RULE.on("CreateStmt")
def check(ctx, node):
    stmt = ctx.stmt
    rv = node.get("relation") or {}
    if stmt.rollback or node.get("partbound") or rv.get("relpersistence") in ("t", "u"):
        return
    if node.get("if_not_exists") and ctx.schema.table(rv) is not None:
        return  # already known: this statement does nothing
    if _has_primary_key(node) is not False:
        return
    # the primary key may come later in the file (pg_dump adds it with ALTER TABLE ... ADD CONSTRAINT)
    ctx.rule_state().setdefault("pending", []).append((stmt.index, stmt.start, stmt.end, qname(rv),
                                                       ctx.relation_span(rv)))


@RULE.at_end
def finish(ctx):
    pending = ctx.rule_state().pop("pending", [])
    if not pending:
        return
    created = {}
    for t in ctx.schema.tables.values():
        o = t.origin
        if o is not None and o.file == ctx.file_index:
            created[o.statement] = t
    for index, start, end, name, span in pending:
        t = created.get(index)
        if t is None or _keyed(t):
            continue  # dropped again later in the file, attached as a partition, or keyed
        if _keyed_later(ctx, t):
            continue  # a later migration of the history gives it its primary key
        key = _unique_key(ctx, t)
        if key is not None:
            msg = fitted(f"Table {name} has no primary key, only a unique key on ({', '.join(key[1])})",
                         f"Table {name} has no primary key, only a unique key")
            why = ("Logical replication identifies rows by the primary key, so once the table is in a publication its "
                   "UPDATEs and DELETEs fail with 'cannot update table ... because it does not have a replica identity "
                   "and publishes updates', and ORMs that need a primary key cannot update its rows.")
            help = (f"Make that key the primary key: ALTER TABLE {name} ADD CONSTRAINT {t.name}_pkey PRIMARY KEY USING "
                    f"INDEX {key[0]}; (or declare PRIMARY KEY ({', '.join(key[1])}) instead of UNIQUE).")
        else:
            msg = f"Table {name} has no primary key"
            why = ("Its rows cannot be addressed reliably (duplicates cannot be told apart or fixed one by one), "
                   "logical replication cannot carry its UPDATEs and DELETEs (once the table is in a publication they "
                   "fail with 'cannot update table ... because it does not have a replica identity and publishes "
                   "updates'), and ORMs and tools that need a key cannot update its rows.")
            help = ("Give it a key: id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, or PRIMARY KEY (a, b) over the "
                    "columns that identify a row (for a join table, its two foreign keys). A staging table can be "
                    "CREATE UNLOGGED TABLE or CREATE TEMP TABLE instead.")
        report_at_statement(ctx, index, span, msg, help=help, relation=t.key, explanation=why)


def _keyed_later(ctx, t) -> bool:
    """Whether the table has a primary key (or is a partition) at the end of the whole history:
    a later migration added it (ALTER TABLE ... ADD PRIMARY KEY, often USING INDEX built
    CONCURRENTLY first). Judged like unindexed-foreign-key, on the schema the history leaves."""
    final = ctx.final_schema
    if final is None or final is ctx.schema:
        return False
    ft = final.tables.get(t.key)
    return ft is not None and _keyed(ft)


def _keyed(t) -> bool:
    """A partition (its key is its parent's business) or a table with a primary key."""
    return t.partition_of is not None or any(c.kind == "p" for c in t.constraints.values())


def _unique_key(ctx, t):
    """(index name, columns) of a unique, non-partial index on NOT NULL columns, if any."""
    for i in ctx.schema.indexes_of(t.key):
        if not i.unique or i.partial or not i.columns or None in i.columns:
            continue
        cols = [t.columns.get(c) for c in i.columns]
        if all(c is not None and c.not_null for c in cols):
            return i.key[1], list(i.columns)
    return None

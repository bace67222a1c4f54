from ..engine.registry import Rule
from ..model.nodes import const_value
from ._common import fitted, alter_table_cmds, qname

RULE = Rule(
    "PG115", "attach-partition-scan",
    summary="ATTACH PARTITION without a validated CHECK matching the bound scans the partition under lock",
    category="locking",
)


def _bound_check(key: list[str], bound: dict) -> str:
    """The partition bound as a CHECK expression (single-column range and list bounds)."""
    if len(key) != 1 or not bound:
        return "<partition bound as an expression>"
    k = key[0]
    if bound.get("strategy") == "r":
        lo = [const_value(d) for d in bound.get("lowerdatums") or ()]
        hi = [const_value(d) for d in bound.get("upperdatums") or ()]
        if len(lo) == 1 and len(hi) == 1 and None not in (lo[0], hi[0]):
            return f"{k} IS NOT NULL AND {k} >= {_lit(lo[0])} AND {k} < {_lit(hi[0])}"
    if bound.get("strategy") == "l":
        vals = [const_value(d) for d in bound.get("listdatums") or ()]
        if vals and None not in vals:
            return f"{k} IS NOT NULL AND {k} IN ({', '.join(_lit(v) for v in vals)})"
    return "<partition bound as an expression>"


def _lit(v) -> str:
    return str(v) if isinstance(v, (int, float)) else "'" + str(v).replace("'", "''") + "'"


@RULE.on("AlterTableStmt")
def check(ctx, node):
    if node.get("objtype", "OBJECT_TABLE") == "OBJECT_INDEX":
        # ALTER INDEX parent ATTACH PARTITION child_index only records in the catalog that an
        # existing index of the partition belongs to the partitioned index: no row is read
        # (tablecmds.c ATExecAttachPartitionIdx; on PostgreSQL 15 the partition's seq_scan
        # count in pg_stat_user_tables does not move, where ALTER TABLE ATTACH PARTITION adds one)
        return
    rv = node.get("relation")
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_AttachPartition":
            continue
        pc = (cmd.get("def") or {}).get("PartitionCmd") or {}
        part = pc.get("name")
        bound = pc.get("bound") or {}
        if bound.get("is_default") or ctx.is_new_table(part):
            continue
        if ctx.partition_check(rv, part) is not None:
            continue
        parent = ctx.schema.table(rv)
        key = list(parent.partition_key) if parent is not None else []
        pname = qname(part)
        lock = ("a SHARE UPDATE EXCLUSIVE lock on the parent and an ACCESS EXCLUSIVE lock on the partition"
                if ctx.pg_version >= (12,) else "ACCESS EXCLUSIVE locks on the parent and the partition")
        extra = ""
        if parent is not None and parent.default_partition is not None:
            extra = "; the default partition is scanned too"
        cname = f"{pname.split('.')[-1]}_bound"
        ctx.report(
            fitted(f"ATTACH PARTITION {pname} scans all of it under an ACCESS EXCLUSIVE lock to check the partition bound",
                   f"ATTACH PARTITION {pname} scans all of it under an ACCESS EXCLUSIVE lock",
                   f"ATTACH PARTITION {pname} scans all of it under lock"),
            explanation=(f"It takes {lock} and scans the whole partition to check that every row fits the partition "
                         f"bound: reads and writes of the partition are blocked for the whole scan{extra}."),
            at=ctx.cmd_span(i), relation=part,
            help=(f"Prove the bound first: ALTER TABLE {pname} ADD CONSTRAINT {cname} CHECK ({_bound_check(key, bound)}) "
                  f"NOT VALID; ALTER TABLE {pname} VALIDATE CONSTRAINT {cname}; then ATTACH PARTITION (PostgreSQL "
                  f"skips the scan) and drop {cname}."),
        )


from ..engine.registry import Rule
from ._common import alter_table_cmds, outside_tx_hint, qname
from ._fixes import DISPLAY_ONLY, SAFE, Fix, insert_before

RULE = Rule(
    "PG116", "detach-partition-blocking",
    summary="DETACH PARTITION without CONCURRENTLY blocks the whole partitioned table (PostgreSQL 14+)",
    category="locking", fix="sometimes",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    if ctx.pg_version < (14,):
        return
    rv = node.get("relation")
    if ctx.is_new_table(rv):
        return
    for i, cmd in enumerate(alter_table_cmds(node)):
        if cmd.get("subtype") != "AT_DetachPartition":
            continue
        pc = (cmd.get("def") or {}).get("PartitionCmd") or {}
        if pc.get("concurrent"):
            continue
        parent, part = qname(rv), qname(pc.get("name"))
        t = ctx.schema.table(rv)
        help = (f"Use ALTER TABLE {parent} DETACH PARTITION {part} CONCURRENTLY; (SHARE UPDATE EXCLUSIVE on "
                f"{parent}: queries go on). It cannot run inside a transaction block")
        if ctx.in_transaction:
            help += f", so {outside_tx_hint(ctx)}"
        help += f"; if it is interrupted, finish with DETACH PARTITION {part} FINALIZE."
        if t is not None and t.default_partition is not None:
            help = (f"{parent} has a default partition, which rules out DETACH ... CONCURRENTLY: detach in a quiet "
                    "period with a short lock_timeout.")
        fix = None
        if t is None or t.default_partition is None:
            edit = insert_before(ctx.cmd_span(i)[1], " CONCURRENTLY")
            fix = (Fix("Add CONCURRENTLY (outside a transaction block)", (edit,), DISPLAY_ONLY)
                   if not ctx.concurrently_can_run() or len(alter_table_cmds(node)) != 1
                   else Fix("Add CONCURRENTLY", (edit,), SAFE))
        ctx.report(f"DETACH PARTITION {part} takes an ACCESS EXCLUSIVE lock on {parent}", at=ctx.cmd_span(i), help=help,
                   explanation=("Every read and write of the whole partitioned table is blocked while it waits for the "
                                "lock and runs."),
                   relation=rv, fix=fix)

from ..engine.registry import Rule
from ..model.locks import Lock
from ._common import outside_tx_hint, qname

RULE = Rule(
    "PG101", "index-not-concurrent",
    summary="CREATE INDEX without CONCURRENTLY blocks writes to an existing table",
    category="locking", fix="sometimes",
)


@RULE.on("IndexStmt")
def check(ctx, node):
    if node.get("concurrent"):
        return
    rv = node.get("relation")
    if ctx.is_new_table(rv):
        return
    table = qname(rv)
    kind = "UNIQUE INDEX" if node.get("unique") else "INDEX"
    name = node.get("idxname") or "index_name"
    t = ctx.schema.table(rv)
    msg = (f"CREATE {kind} on existing table {table} takes a {Lock.SHARE.label} lock: "
           f"{Lock.SHARE.blocks.split(';')[0]} are blocked until the whole index is built")
    if t is not None and t.kind == "p":
        help = (f"{table} is partitioned, where CONCURRENTLY is not supported: create the index with "
                f"CREATE {kind} {name} ON ONLY {table} (...), build the same index with CONCURRENTLY on each "
                f"partition, then ALTER INDEX {name} ATTACH PARTITION <partition index> for each.")
    else:
        help = (f"Build it without blocking writes: CREATE {kind} CONCURRENTLY IF NOT EXISTS {name} ON {table} (...); "
                "CONCURRENTLY cannot run inside a transaction block")
        if ctx.in_transaction:
            help += f", so {outside_tx_hint(ctx)}"
        help += "."
    ctx.report(msg, help=help, relation=rv)

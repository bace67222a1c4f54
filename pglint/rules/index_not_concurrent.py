from ..engine.registry import Rule
from ..model.locks import Lock
from ._common import outside_tx_hint, qname
from ._fixes import DISPLAY_ONLY, SAFE, Fix, first, insert_after

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
    ctx.report(msg, help=help, relation=rv, fix=_fix(ctx, node, t))


def _fix(ctx, node, table):
    """Add CONCURRENTLY (and IF NOT EXISTS for a named index). Outside a transaction block
    only; inside one, the same edit is shown but not applied."""
    if table is not None and table.kind == "p":
        return None
    tok = first(ctx, "INDEX")
    if tok is None:
        return None
    text = " CONCURRENTLY"
    if node.get("idxname") and not node.get("if_not_exists"):
        text += " IF NOT EXISTS"
    if not ctx.concurrently_can_run():
        return Fix("Add CONCURRENTLY (and move the statement to its own migration, outside a transaction)",
                   (insert_after(tok, text),), DISPLAY_ONLY)
    return Fix("Add CONCURRENTLY", (insert_after(tok, text),), SAFE)

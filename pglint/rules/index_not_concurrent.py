from ..engine.registry import Rule
from ..model.locks import Lock
from ._common import fitted, outside_tx_hint, qname
from ._fixes import (DISPLAY_ONLY, SAFE, UNSAFE, Fix, first, indent_at, insert_after, insert_before, iter_tokens,
                     newline, quote_ident, source_text)

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
    t = ctx.schema.table(rv)
    if t is not None and t.kind == "p" and not rv.get("inh"):  # inh absent: ON ONLY
        # ON ONLY a partitioned table: the index is created invalid on the parent alone, in
        # the catalog, with no partition built (the step this rule's help recommends; the
        # SHARE lock is brief, and lock-timeout-missing covers waiting for it)
        return
    table = qname(rv)
    kind = "UNIQUE INDEX" if node.get("unique") else "INDEX"
    name = node.get("idxname") or "index_name"
    msg = fitted(f"CREATE {kind} on existing table {table} takes a SHARE lock that blocks writes until it is built",
                 f"CREATE {kind} on {table} takes a SHARE lock that blocks writes until it is built",
                 f"CREATE {kind} on {table} blocks writes (SHARE lock) until it is built")
    if t is not None and t.kind == "p":
        help = (f"{table} is partitioned, where CONCURRENTLY is not supported: create the index with "
                f"CREATE {kind} {name} ON ONLY {table} (...), build the same index with CONCURRENTLY on each "
                f"partition, then ALTER INDEX {name} ATTACH PARTITION <partition index> for each.")
    else:
        help = (f"Build it without blocking writes: CREATE {kind} CONCURRENTLY {name} ON {table} (...); a failed "
                f"concurrent build leaves an INVALID index behind, so to make the migration safe to retry precede it "
                f"with DROP INDEX CONCURRENTLY IF EXISTS {name}; (not IF NOT EXISTS, which would keep the invalid "
                "index); CONCURRENTLY cannot run inside a transaction block")
        if ctx.in_transaction:
            help += f", so {outside_tx_hint(ctx)}"
        help += "."
    ctx.report(msg, help=help, relation=rv, fix=_fix(ctx, node, t),
               explanation=(f"Without CONCURRENTLY it takes a {Lock.SHARE.label} lock on the table for the whole build: "
                            f"{Lock.SHARE.blocks.split(';')[0]} wait, reads go on."))


def _fix(ctx, node, table):
    """Add CONCURRENTLY. Outside a transaction block only; inside one, the same edit is shown
    but not applied. A statement that already says IF NOT EXISTS would then skip an invalid
    index left by a failed build (concurrent-index-if-not-exists): the edit also drops such
    a leftover first, which rebuilds an index that exists, so it is unsafe."""
    if table is not None and table.kind == "p":
        return None
    tok = first(ctx, "INDEX")
    if tok is None:
        return None
    edits = (insert_after(tok, " CONCURRENTLY"),)
    if not ctx.concurrently_can_run():
        return Fix("Add CONCURRENTLY (and move the statement to its own migration, outside a transaction)",
                   edits, DISPLAY_ONLY)
    if node.get("if_not_exists") and node.get("idxname"):
        s = ctx.stmt
        name = source_text(ctx, *_name_span(ctx, tok)) or quote_ident(node["idxname"])
        edits = (insert_before(s.start, f"DROP INDEX CONCURRENTLY IF EXISTS {name};{newline(ctx)}"
                                        f"{indent_at(ctx, s.start)}"),) + edits
        return Fix("Add CONCURRENTLY, dropping an invalid index a failed build left first (an index that "
                   "exists is rebuilt)", edits, UNSAFE)
    return Fix("Add CONCURRENTLY", edits, SAFE)


def _name_span(ctx, index_tok):
    """The span of the index name as written (after INDEX [IF NOT EXISTS]); (0, 0) if none."""
    toks = []
    for t in iter_tokens(ctx, index_tok.end):
        if t.name == "ON":
            break
        toks.append(t)
    toks = [t for t in toks if t.name not in ("IF_P", "NOT", "EXISTS", "CONCURRENTLY")]
    if not toks:
        return (0, 0)
    return (toks[0].start, toks[-1].end)

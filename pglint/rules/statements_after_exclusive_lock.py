from ..engine.registry import Rule
from ..model.locks import Lock
from ..model.transactions import ASSUMED, ONE_QUERY

RULE = Rule(
    "PG114", "statements-after-exclusive-lock",
    summary="More statements in a transaction after one took ACCESS EXCLUSIVE on an existing table",
    category="locking",
)

_IGNORED = frozenset({"TransactionStmt", "VariableSetStmt", "VariableShowStmt"})


@RULE.on("*")
def check(ctx, stmt):
    if stmt.parent is not None or stmt.type in _IGNORED or not ctx.in_transaction:
        return
    state = ctx.rule_state()
    tx = ctx.txinfo.id
    if state.get("tx") == tx:
        return
    for e, by in ctx.held:
        if e.mode != Lock.ACCESS_EXCLUSIVE or by is stmt or e.relation[1] == "*" or e.kind == "index":
            continue
        state["tx"] = tx
        ctx.report(
            f"This statement runs under the ACCESS EXCLUSIVE lock on {e.display} from line {ctx.line_of(by.start)}",
            explanation=(f"The lock {_until(ctx)}: every statement run after it "
                         "makes all reads and writes of the locked table wait longer."),
            relation=e,
            help="Commit right after the statement that takes the ACCESS EXCLUSIVE lock and run the rest in a new "
                 "transaction (or a separate migration).",
        )
        return


def _until(ctx) -> str:
    """Until when the lock is held, as the file runs."""
    info = ctx.txinfo
    tool = ctx.tool_tx
    if info is not None and info.kind in (ASSUMED, ONE_QUERY) and tool is not None and tool.mode is not None:
        return f"lasts until the transaction ends ({tool.how})"
    return "lasts until COMMIT"

from ..engine.diagnostics import ERROR
from ..engine.registry import Rule
from ..model.transactions import EXPLICIT
from ._common import report_at_statement

RULE = Rule(
    "PG312", "uncommitted-transaction",
    summary="BEGIN with no COMMIT or ROLLBACK by the end of the file: the migration is rolled back",
    severity=ERROR, category="design",
)


@RULE.on("TransactionStmt")
def track(ctx, node):
    stmt = ctx.stmt
    if stmt.origin != "top":
        return
    if node.get("kind") in ("TRANS_STMT_BEGIN", "TRANS_STMT_START") and not (ctx.txinfo and ctx.txinfo.in_block):
        ctx.rule_state()["begin"] = (stmt.index, stmt.start, stmt.end)


@RULE.at_end
def finish(ctx):
    begin = ctx.rule_state().pop("begin", None)
    tx = ctx.tx
    if begin is None or not tx.in_block or tx.kind != EXPLICIT:
        return
    index, start, end = begin
    line = ctx.line_of(start)
    where = "this section" if ctx.parsed.markers else "the file"
    report_at_statement(
        ctx, index, (start, end),
        f"The transaction opened by this BEGIN (line {line}) is never committed before {where} ends",
        explanation=("When the file ends, the session closes and PostgreSQL rolls back everything since BEGIN, while "
                     "psql and most migration tools still report success; a tool that keeps the connection open "
                     "instead leaves the transaction open, holding every lock it took and blocking the application."),
        help="End the transaction: add COMMIT; after the last statement (or ROLLBACK; if nothing should be kept).",
    )

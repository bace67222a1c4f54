from ..engine.registry import Rule
from ..model.transactions import ASSUMED, ONE_QUERY
from ._common import report

RULE = Rule(
    "PG311", "transaction-nesting",
    summary="BEGIN inside a transaction, BEGIN/COMMIT in a file the migration tool wraps, COMMIT without BEGIN",
    category="design",
)

_BEGIN = ("TRANS_STMT_BEGIN", "TRANS_STMT_START")
_END = ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK")
_SAVEPOINT = ("TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO")


def _wrapper(ctx) -> str:
    if ctx.parsed.markers:
        return "the migration tool (goose/dbmate) already runs this migration in a transaction"
    if ctx.tool_tx is not None and ctx.tool_tx.mode == ASSUMED:
        return ctx.tool_tx.how
    return "the migration tool already runs this file in a transaction (assume-in-transaction)"


@RULE.on("TransactionStmt")
def check(ctx, node):
    stmt = ctx.stmt
    if stmt.origin != "top":
        return
    kind = node.get("kind", "")
    info = ctx.txinfo
    in_block = bool(info and info.in_block)
    assumed_file = ctx.tx.assumed
    word = _word(ctx, kind)
    if kind in _BEGIN:
        if in_block and info.kind == ONE_QUERY:
            return  # the implicit block of a query string becomes an ordinary one: no nesting
        if in_block and info.kind == ASSUMED:
            report(ctx,
                f"{word} inside the transaction the migration tool opened: PostgreSQL ignores it with a warning",
                explanation=(f"{_cap(_wrapper(ctx))}, so PostgreSQL ignores this one with a warning ('there is already "
                             f"a transaction in progress'), and {_after_commit(ctx)}."),
                help="Remove BEGIN and COMMIT from the file and let the tool's transaction wrap it (or, if this "
                     "file must manage its own transaction, turn the tool's transaction off for it).",
            )
        elif in_block:
            report(ctx,
                f"{word} inside the transaction opened at line {ctx.line_of(info.begin_offset)}: PostgreSQL does not "
                "nest transactions",
                explanation=("PostgreSQL ignores the inner BEGIN with a warning ('there is already a transaction in "
                             "progress'), and the first COMMIT commits everything since the outer BEGIN, so the "
                             "statements after it run outside any transaction."),
                help="Remove the inner BEGIN (and its COMMIT); use SAVEPOINT name / RELEASE SAVEPOINT name for a "
                     "part that must be undone on its own.",
            )
        elif assumed_file:
            report(ctx,
                f"{word} in a file the migration tool runs in a transaction, after a COMMIT ended that transaction",
                explanation=(f"{_cap(_wrapper(ctx))}: an earlier COMMIT already ended the tool's transaction, so the "
                             "statements between it and this BEGIN ran outside any transaction."),
                help="Remove BEGIN and COMMIT from the file and let the tool's transaction wrap it.",
            )
    elif kind in _END:
        if in_block and info.kind == ONE_QUERY:
            report(ctx,
                f"{word} without BEGIN in a file sent as one query string commits the statements before it",
                explanation=(f"{_cap(ctx.tool_tx.how)}: this commits the statements before it (PostgreSQL warns 'there is "
                             "no transaction in progress') and the rest of the file runs in a new transaction, so a "
                             "failure after it leaves the migration half applied."),
                help="Remove it and let the file run as one transaction (or split the file into two migrations).",
            )
        elif in_block and info.kind == ASSUMED:
            rest = ("the statements after it run outside any transaction and cannot be rolled back with the rest, "
                    "and " if _work_after(ctx, ctx.stmt.index) else "")
            report(ctx,
                f"{word} ends the transaction the migration tool opened",
                explanation=(f"{_cap(_wrapper(ctx))}: {rest}the tool then records the migration in a transaction of "
                             "its own (its COMMIT warns 'there is no transaction in progress'), so a failure in between "
                             "leaves the migration applied but not recorded."),
                help="Remove the COMMIT (and any BEGIN) and let the tool commit the migration.",
            )
        elif not in_block and ctx.tx_unknown:
            report(ctx,
                f"{word} without BEGIN in this file: it has no transaction to end, or ends the tool's early",
                explanation=("If the migration tool runs the file statement by statement, PostgreSQL only warns 'there "
                             "is no transaction in progress' and the statements before it already committed one by "
                             "one; if the tool wraps the file in a transaction, this ends that transaction early "
                             "(pglint does not know how the tool runs this file; set assume-in-transaction to say)."),
                help="Add BEGIN; where the transaction should start, or remove this statement.",
            )
        elif not in_block:
            report(ctx,
                f"{word} without a transaction to end: the statements before it already committed one by one",
                explanation=("PostgreSQL only warns 'there is no transaction in progress', and the statements before "
                             "it already committed one by one, so a failure among them left the migration half "
                             "applied."),
                help="Add BEGIN; where the transaction should start, or remove this statement.",
            )
    elif kind in _SAVEPOINT and not in_block and ctx.tx_unknown:
        report(ctx,
            f"{word} outside a BEGIN ... COMMIT of this file fails unless the tool runs the file in a transaction",
            explanation=(f"Outside a transaction it fails with '{word} can only be used in transaction blocks' and the "
                         "migration stops there (pglint does not know how the tool runs this file; set "
                         "assume-in-transaction to say)."),
            help="Put it between BEGIN and COMMIT, or remove it.",
        )
    elif kind in _SAVEPOINT and (not in_block or info.kind == ONE_QUERY):
        report(ctx,
            f"{word} outside a transaction block fails with '{word} can only be used in transaction blocks'",
            explanation="The migration stops at this statement.",
            help="Put it between BEGIN and COMMIT, or remove it.",
        )


def _cap(s: str) -> str:
    """How the tool runs the file, opening an explanation (a config key such as
    assume-in-transaction or a tool's name may start it: never capitalised)."""
    return "Here, " + s


def _work_after(ctx, index: int) -> bool:
    """Whether a statement other than COMMIT/ROLLBACK follows ``index`` in its section."""
    section = ctx.stmt.section
    return any(s.index > index and s.section == section and s.type != "TransactionStmt"
               for s in ctx.parsed.statements)


def _after_commit(ctx) -> str:
    """What the file's own COMMIT does to the tool's transaction (for a BEGIN inside it)."""
    stmt = ctx.stmt
    end = next((s for s in ctx.parsed.statements if s.index > stmt.index and s.section == stmt.section
                and s.type == "TransactionStmt" and s.node.get("kind") in _END), None)
    if end is None:
        return "nothing in the file ends it"
    where = f"the {_word(ctx, end.node.get('kind', ''), end)} at line {ctx.line_of(end.start)}"
    if _work_after(ctx, end.index):
        return f"{where} ends the tool's transaction early: the statements after it run outside any transaction"
    return (f"{where} ends the tool's transaction, so the tool records the migration in a transaction of its own: "
            "a failure in between leaves the migration applied but not recorded")


_FIXED = {"TRANS_STMT_START": "START TRANSACTION", "TRANS_STMT_SAVEPOINT": "SAVEPOINT",
          "TRANS_STMT_RELEASE": "RELEASE SAVEPOINT", "TRANS_STMT_ROLLBACK_TO": "ROLLBACK TO SAVEPOINT"}


def _word(ctx, kind: str, stmt=None) -> str:
    """The keyword of ``stmt`` (default: the current statement) as written (BEGIN, COMMIT,
    END, ABORT, ...)."""
    if kind in _FIXED:
        return _FIXED[kind]
    stmt = stmt or ctx.stmt
    words = ctx.sql[stmt.start:stmt.end].split(None, 1)
    return words[0].rstrip(";").upper() if words else "This statement"

from ..engine.registry import Rule
from ._common import fitted, not_against_live_app, qname, report

RULE = Rule(
    "PG205", "truncate-table",
    summary="TRUNCATE deletes every row of an existing table (and, with CASCADE, of the tables referencing it)",
    category="compatibility",
)


@RULE.on("TruncateStmt")
def check(ctx, node):
    if not_against_live_app(ctx):
        return
    cascade = node.get("behavior") == "DROP_CASCADE"
    old = [rv.get("RangeVar") for rv in node.get("relations") or () if "RangeVar" in rv]
    old = [rv for rv in old if rv and not ctx.is_new_table(rv)]
    if not old:
        return
    names = ", ".join(qname(rv) for rv in old)
    first = qname(old[0])
    msg = fitted(f"TRUNCATE{' ... CASCADE' if cascade else ''} deletes every row of {names} under an ACCESS EXCLUSIVE "
                 "lock",
                 f"TRUNCATE{' ... CASCADE' if cascade else ''} deletes every row of {names} at once",
                 f"TRUNCATE{' ... CASCADE' if cascade else ''} deletes every row of {first} and {len(old) - 1} more "
                 "tables at once")
    why = ("ON DELETE triggers do not fire, only a backup brings the rows back, and it holds an ACCESS EXCLUSIVE "
           "lock that blocks every read and write until the transaction ends.")
    if cascade:
        why += (" CASCADE also empties every table with a foreign key to it, and the tables referencing those, "
                "recursively, deleting data this statement does not name.")
    help = ("Delete only what must go, in batches: DELETE FROM <table> WHERE <condition>; and keep a copy first "
            "if the data may be needed (pg_dump -t <table>).")
    if cascade:
        help += " If the tables must be emptied, name each of them in TRUNCATE instead of CASCADE."
    report(ctx, msg, help=help, relation=old[0], explanation=why)

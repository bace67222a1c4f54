from ..engine.registry import Rule
from ..model.schema import object_names
from ._common import fitted, is_schema_dump, outside_tx_hint
from ._fixes import DISPLAY_ONLY, SAFE, Fix, first, insert_after

RULE = Rule(
    "PG102", "drop-index-not-concurrent",
    summary="DROP INDEX without CONCURRENTLY blocks reads and writes of the table",
    category="locking", fix="sometimes",
)


@RULE.on("DropStmt")
def check(ctx, node):
    if node.get("removeType") != "OBJECT_INDEX" or node.get("concurrent") or is_schema_dump(ctx):
        # a schema dump (pg_dump, structure.sql) is restored into a database no application
        # uses yet; with --clean its DROP INDEX IF EXISTS lines only clear the way for it
        return
    old = []
    for obj in node.get("objects") or ():
        names = object_names(obj)
        if not names:
            continue
        schema = names[-2] if len(names) > 1 else None
        if ctx.is_new_index(schema, names[-1]):
            continue
        t = ctx.schema.index(schema, names[-1])
        if t is not None and ctx.is_new(t.table):
            continue
        old.append((".".join(names), t))
    if not old:
        return
    name, idx = old[0]
    table = f"table {idx.table[1]}" if idx is not None else "its table"
    explanation = "Every read and write of the table waits until the lock is granted and released."
    if idx is None and node.get("missing_ok") and ctx.complete_history and len(old) == 1:
        # the whole history is known and creates no such index: IF EXISTS may well make this a
        # no-op (PostgreSQL locks nothing then), unless the index was made outside the migrations
        msg = fitted(f"DROP INDEX IF EXISTS {name}, which no earlier migration creates, would lock its table "
                     "ACCESS EXCLUSIVE if it exists",
                     f"DROP INDEX IF EXISTS {name} would lock its table ACCESS EXCLUSIVE if it exists",
                     f"DROP INDEX {name} would lock its table ACCESS EXCLUSIVE if it exists",
                     f"DROP INDEX {name} locks its table if it exists")
        explanation = ("No earlier migration creates an index of that name: if none exists, the statement does "
                       "nothing; if one was made outside the migrations, every read and write of its table waits "
                       "until the lock is granted and released.")
    else:
        msg = fitted(f"DROP INDEX {name} takes an ACCESS EXCLUSIVE lock on {table}",
                     f"DROP INDEX {name} takes an ACCESS EXCLUSIVE lock on its table",
                     f"DROP INDEX {name} locks its table ACCESS EXCLUSIVE")
    help = (f"Use DROP INDEX CONCURRENTLY IF EXISTS {name}; (one index per statement, no CASCADE), "
            "which does not block queries; it cannot run inside a transaction block")
    if ctx.in_transaction:
        help += f", so {outside_tx_hint(ctx)}"
    ctx.report(msg, help=help + ".", relation=idx.table if idx is not None else None, fix=_fix(ctx, node),
               explanation=explanation)


def _fix(ctx, node):
    """DROP INDEX CONCURRENTLY takes one index and no CASCADE."""
    if len(node.get("objects") or ()) != 1 or node.get("behavior") == "DROP_CASCADE":
        return None
    tok = first(ctx, "INDEX")
    if tok is None:
        return None
    text = " CONCURRENTLY" + ("" if node.get("missing_ok") else " IF EXISTS")
    if not ctx.concurrently_can_run():
        return Fix("Add CONCURRENTLY (and move the statement to its own migration, outside a transaction)",
                   (insert_after(tok, text),), DISPLAY_ONLY)
    return Fix("Add CONCURRENTLY", (insert_after(tok, text),), SAFE)

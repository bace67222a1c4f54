from ..engine.registry import Rule
from ..model.schema import object_names
from ._common import fitted, qname, report

RULE = Rule(
    "PG118", "concurrent-index-if-not-exists",
    summary="CREATE INDEX CONCURRENTLY IF NOT EXISTS keeps the INVALID index a failed build left behind",
    category="locking",
    needs=("concurrently", "exists"),  # every finding is a CONCURRENTLY ... IF NOT EXISTS
)


def _dropped(ctx) -> dict:
    return ctx.rule_state().setdefault("dropped", {})


@RULE.on("DropStmt")
def remember_drop(ctx, node):
    """DROP INDEX [CONCURRENTLY] IF EXISTS name before the CREATE clears a leftover."""
    if node.get("removeType") != "OBJECT_INDEX" or not node.get("missing_ok"):
        return
    per = _dropped(ctx).setdefault(ctx.stmt.section, set())
    for obj in node.get("objects") or ():
        names = object_names(obj)
        if names:
            per.add(names[-1])


@RULE.on("IndexStmt")
def check(ctx, node):
    if not (node.get("concurrent") and node.get("if_not_exists")):
        return
    name = node.get("idxname") or ""
    if name in _dropped(ctx).get(ctx.stmt.section, ()):
        return
    rv = node.get("relation")
    if ctx.is_new_table(rv):
        return  # an index on a table created earlier in the file: no earlier build to fail
    kind = "UNIQUE INDEX" if node.get("unique") else "INDEX"
    table = qname(rv)
    msg = fitted(f"CREATE {kind} CONCURRENTLY IF NOT EXISTS {name} on {table} keeps an invalid index a failed build left",
                 f"CREATE {kind} CONCURRENTLY IF NOT EXISTS {name} keeps an invalid index a failed build left",
                 f"CREATE {kind} CONCURRENTLY IF NOT EXISTS {name} keeps an invalid leftover",
                 f"IF NOT EXISTS keeps an invalid index {name} a failed build left")
    why = (f"When an earlier build failed (a deadlock, a cancel or "
           f"lock timeout{', a duplicate key' if node.get('unique') else ''}), PostgreSQL left an INVALID index "
           f"of that name behind; the retried migration then skips the build with only a NOTICE ('relation already "
           f"exists, skipping') and succeeds, leaving an index that no query uses but every write still updates"
           + (", and a uniqueness that is only half enforced" if node.get("unique") else "") + ".")
    help = (f"Clear a leftover first and build it under its name: DROP INDEX CONCURRENTLY IF EXISTS {name}; "
            f"CREATE {kind} CONCURRENTLY {name} ON {table} (...); or leave IF NOT EXISTS out, so that a retry "
            "fails loudly on the invalid index instead of keeping it.")
    report(ctx, msg, help=help, relation=rv, explanation=why)

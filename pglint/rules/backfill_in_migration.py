"""backfill-in-migration: an UPDATE or DELETE of an existing table in a migration whose WHERE
does not bound the rows it touches.

Bounded (not reported): a key range on one column (BETWEEN, or a lower and an upper bound),
an equality or IN list against values (``id = 42``, ``name = 'x'``, ``id = ANY($1)``), a
subquery with LIMIT (``id IN (SELECT id ... LIMIT 1000)``), ``WHERE CURRENT OF``; OR of
bounded branches. Anything else (``new_col IS NULL``, a join ``a.id = b.a_id``, a one-sided
range) touches as many rows as the table holds.

Not reported: the statement without WHERE (update-without-where and delete-without-where say
it, with the same batching advice: one finding per statement), a table created earlier in
the file, SQL in function bodies (it runs when the function is called), schema dumps, and
files named as data fixes (see _data_fix_file).
"""

from __future__ import annotations

import os
import re

from ..engine.registry import Rule
from ..model.locks import Lock
from ..model.nodes import strings
from ._common import fitted, is_schema_dump, qname, report
from ._dml import is_scratch_table

RULE = Rule(
    "PG408", "backfill-in-migration",
    summary="UPDATE/DELETE of an existing table in a migration whose WHERE bounds no key range or batch",
    category="queries", needs=("update|delete",),
)

# A file (or its directory) named as a data change kept apart from the schema changes:
# data-migrate's db/data/, seeds, and files whose name says backfill or data fix. The author
# has already made the data change a migration of its own (what the help asks for).
_DATA_DIRS = frozenset({"data", "seeds", "seed", "datafixes", "data_fixes", "data-fixes", "backfills"})
_DATA_NAME = re.compile(r"(?i)(?:^|[^a-z])(?:backfill|data[_\-.]?fix|datafix|seeds?)(?:[^a-z]|$)")


def _data_fix_file(path: str) -> bool:
    base = os.path.basename(path)
    parent = os.path.basename(os.path.dirname(path)).lower()
    return parent in _DATA_DIRS or bool(_DATA_NAME.search(base))


_LOWER = {">": "lo", ">=": "lo", "<": "hi", "<=": "hi"}
_FLIP = {"lo": "hi", "hi": "lo"}


def _has_column(node) -> bool:
    if isinstance(node, dict):
        if "ColumnRef" in node:
            return True
        return any(_has_column(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_column(v) for v in node)
    return False


def _column(node) -> str | None:
    ref = (node or {}).get("ColumnRef")
    if ref is None:
        return None
    names = strings(ref.get("fields"))
    return names[-1] if names else None


def _bounds(expr, out: set, loose: bool = False) -> bool:
    """Whether ``expr`` bounds the rows by itself; one-sided range bounds go to ``out`` as
    (column, "lo" | "hi"). ``loose``: in a DO block without FROM/USING, where a name on the
    other side of ``=`` is a PL/pgSQL variable (a loop's current key), not a join."""
    if not isinstance(expr, dict) or len(expr) != 1:
        return False
    (typ, node), = expr.items()
    if typ == "BoolExpr":
        op = node.get("boolop")
        args = node.get("args") or []
        if op == "AND_EXPR":
            sides: set = set()
            bounded = False
            for a in args:
                bounded = _bounds(a, sides, loose) or bounded
            cols = {c for c, _ in sides}
            return bounded or any((c, "lo") in sides and (c, "hi") in sides for c in cols)
        if op == "OR_EXPR":
            return bool(args) and all(_bounds(a, set(), loose) for a in args)
        return False
    if typ == "CurrentOfExpr":
        return True
    if typ == "SubLink":
        sub = (node.get("subselect") or {}).get("SelectStmt") or {}
        return sub.get("limitCount") is not None
    if typ != "A_Expr":
        return False
    kind = node.get("kind")
    lexpr, rexpr = node.get("lexpr"), node.get("rexpr")
    op = (strings(node.get("name")) or [""])[-1]
    if kind in ("AEXPR_BETWEEN", "AEXPR_BETWEEN_SYM"):
        return _column(lexpr) is not None
    if kind == "AEXPR_IN":
        return op == "=" and _column(lexpr) is not None and not _has_column(rexpr)
    if kind == "AEXPR_OP_ANY":
        return op == "=" and _column(lexpr) is not None and not _has_column(rexpr)
    if kind != "AEXPR_OP":
        return False
    col, other, flip = _column(lexpr), rexpr, False
    if col is None:
        col, other, flip = _column(rexpr), lexpr, True
    if col is None:
        return False
    if op == "=" and loose and _column(other) is not None:
        return True
    if _has_column(other):
        return False  # a join condition or an expression of the row: as many rows as the table
    if op == "=":
        return True
    side = _LOWER.get(op)
    if side is not None:
        out.add((col, _FLIP[side] if flip else side))
    return False


def _strong_lock(ctx):
    """The strongest lock above ROW EXCLUSIVE the open transaction holds on an existing
    relation, with the statement that took it."""
    if not ctx.in_transaction:
        return None
    best = None
    for e, by in ctx.held:
        if e.late or e.mode <= Lock.ROW_EXCLUSIVE or e.relation[1] == "*":
            continue
        if best is None or e.mode > best[0].mode:
            best = (e, by)
    return best


@RULE.on("UpdateStmt", "DeleteStmt")
def check(ctx, node):
    where = node.get("whereClause")
    if where is None:
        return  # update-without-where / delete-without-where
    rv = node.get("relation")
    if not rv or is_scratch_table(ctx, rv) or rv.get("relpersistence") == "t" or not ctx.relation_may_exist(rv):
        return
    loose = ctx.stmt.origin == "do" and not node.get("fromClause") and not node.get("usingClause")
    if is_schema_dump(ctx) or _data_fix_file(ctx.path) or _bounds(where, set(), loose):
        return
    t = qname(rv)
    update = ctx.stmt.type == "UpdateStmt"
    verb = f"UPDATE {t}" if update else f"DELETE FROM {t}"
    does = "rewrites" if update else "deletes"
    why = ("Its WHERE bounds no key range or batch, so it {does} every row of the existing table that matches in one "
           "statement, holding each row lock until the transaction ends (concurrent writers of those rows wait) and "
           "leaving a dead version of every row behind (bloat until VACUUM, all of it in the WAL and on the replicas); "
           "on a large table the migration lasts as long as the backfill.").format(does=does)
    held = _strong_lock(ctx)
    if held is None:
        msg = f"{verb} {does} all matching rows at once: its WHERE bounds no key range or batch"
    else:
        e, by = held
        mode = e.mode.name.replace('_', ' ')
        msg = fitted(f"{verb} {does} all matching rows at once under the {mode} lock from line {ctx.line_of(by.start)}",
                     f"{verb} {does} all matching rows at once under the lock from line {ctx.line_of(by.start)}")
        why += (" It runs in the transaction that holds a strong lock taken earlier: that lock is held until the "
                "statement ends")
        why += (", so every read and write of the locked table waits until it ends." if e.mode == Lock.ACCESS_EXCLUSIVE
                else ".")
    key = "id"
    report(ctx, msg, at=ctx.relation_span(rv), relation=rv, explanation=why,
           help=(f"Backfill in batches by key range, committing between batches, in a migration of its own that "
                 f"runs outside a transaction (or a script run after the deploy): {verb}"
                 f"{' SET ...' if update else ''} WHERE {key} >= 1 AND {key} < 10001 AND (<condition>); then the "
                 f"next range (or WHERE {key} IN (SELECT {key} FROM {t} WHERE <condition> LIMIT 10000), repeated "
                 "until it touches no row). Keep the schema change in its own, short transaction."))

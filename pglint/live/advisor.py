"""Index suggestions with hypothetical indexes (hypopg), following dexter's approach.

1. Keep the query only if its plan costs at least ``index-min-cost`` (dexter: 100).
2. Candidate columns: those the query filters, joins, sorts or groups on, resolved to
   their tables with the schema model (json, jsonb, xml and point columns left out, as
   are columns that already lead a valid index).
3. Pass 1: one hypothetical single-column index per candidate, EXPLAIN again (no
   ANALYZE: hypopg indexes exist only for the planner). Pass 2: every two-column
   permutation per table. The cheaper plan wins if it saves ``index-min-saving`` (50%);
   pass 2 must also save 50% over pass 1 and use a single index. When the winning plan
   uses several hypothetical indexes, each is tried alone and the cheapest that still
   saves 50% is reported.
4. Everything happens in the read-only transaction of the query; hypopg_reset() before
   and after (hypothetical indexes live in the backend's memory only).
"""

from __future__ import annotations

import itertools
import re

from ..model.nodes import strings
from ..model.nodes import walk as walk_tree
from ..model.schema import SchemaModel, choose_name
from .config import LiveConfig
from .plans import Finding, fitted, walk
from .safety import Query
from .session import Session, quote_ident

_SKIP_TYPES = frozenset({"json", "jsonb", "point", "xml"})
_STOP = frozenset({"SubLink", "SelectStmt", "RangeSubselect"})
MAX_HYPOTHETICAL = 500  # dexter's batch size (hypopg's OID range)


def ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else quote_ident(name)


def _scope(items, model: SchemaModel, scope: dict, quals: list) -> None:
    for item in items or ():
        if type(item) is not dict or len(item) != 1:
            continue
        (t, f), = item.items()
        if t == "RangeVar":
            key = model.rv_key(f)
            if key in model.tables:
                alias = (f.get("alias") or {}).get("aliasname") or f.get("relname", "")
                scope[alias] = key
        elif t == "JoinExpr":
            _scope([f.get("larg"), f.get("rarg")], model, scope, quals)
            if f.get("quals"):
                quals.append(f["quals"])


def _column_refs(expr) -> list[list[str]]:
    """ColumnRefs of an expression, not descending into subqueries (their own level)."""
    out = []
    stack = [expr]
    while stack:
        x = stack.pop()
        if type(x) is list:
            stack.extend(x)
            continue
        if type(x) is not dict:
            continue
        for k, v in x.items():
            if k == "ColumnRef" and type(v) is dict:
                out.append(strings(v.get("fields")))
            elif k in _STOP:
                continue
            elif type(v) in (dict, list):
                stack.append(v)
    return out


def candidates(q: Query, model: SchemaModel) -> dict[tuple[str, str], list[str]]:
    """Columns worth indexing, by table, in the order the query mentions them."""
    out: dict[tuple[str, str], list[str]] = {}
    levels = [(t, f) for t, f in walk_tree(q.node, q.type) if t in ("SelectStmt", "UpdateStmt", "DeleteStmt")]
    for t, f in levels:
        scope: dict[str, tuple[str, str]] = {}
        quals: list = []
        if t == "SelectStmt":
            _scope(f.get("fromClause"), model, scope, quals)
        elif t == "UpdateStmt":
            _scope([{"RangeVar": f.get("relation") or {}}], model, scope, quals)
            _scope(f.get("fromClause"), model, scope, quals)
        else:
            _scope([{"RangeVar": f.get("relation") or {}}], model, scope, quals)
            _scope(f.get("usingClause"), model, scope, quals)
        if not scope:
            continue
        exprs = [f.get("whereClause"), *quals]
        for s in f.get("sortClause") or ():
            exprs.append((s.get("SortBy") or {}).get("node"))
        exprs.extend(f.get("groupClause") or ())
        for parts in _column_refs([e for e in exprs if e]):
            if not parts:
                continue
            col = parts[-1]
            if len(parts) == 1:
                owners = {k for k in scope.values() if col in model.tables[k].columns}
                key = owners.pop() if len(owners) == 1 else None
            elif len(parts) == 2:
                key = scope.get(parts[0])
            else:
                key = (parts[-3], parts[-2]) if (parts[-3], parts[-2]) in model.tables else None
            if key is None:
                continue
            c = model.tables[key].columns.get(col)
            if c is None or (c.type is not None and c.type.name in _SKIP_TYPES):
                continue
            cols = out.setdefault(key, [])
            if col not in cols:
                cols.append(col)
    return out


def _covered(model: SchemaModel, key, cols: tuple[str, ...]) -> bool:
    """An existing valid, non-partial index already starts with these columns."""
    for i in model.indexes_of(key):
        if i.valid and not i.partial and tuple(i.columns[: len(cols)]) == cols:
            return True
    return False


def _used(plan: dict, names: dict[str, tuple]) -> list[str]:
    found = []
    for node, _ in walk(plan.get("Plan") or {}):
        n = node.get("Index Name")
        if n in names and n not in found:
            found.append(n)
    return found


class Advisor:
    def __init__(self, session: Session, schema: str, cfg: LiveConfig) -> None:
        self.session = session
        self.schema = quote_ident(schema)
        self.cfg = cfg

    def _reset(self) -> None:
        self.session.fetch(f"SELECT {self.schema}.hypopg_reset()")

    def _create(self, key, cols) -> str | None:
        """A hypothetical index, or None when hypopg cannot build that one (a type without
        a btree operator class, ...): a savepoint keeps the transaction usable."""
        import psycopg

        sql = f"CREATE INDEX ON {ident(key[0])}.{ident(key[1])} ({', '.join(ident(c) for c in cols)})"
        conn = self.session.conn
        conn.execute("SAVEPOINT pglint_hypo")
        try:
            rows = self.session.fetch(f"SELECT indexname FROM {self.schema}.hypopg_create_index(%s)", [sql])
        except psycopg.Error as exc:
            if getattr(exc, "sqlstate", None) is None:
                raise
            conn.execute("ROLLBACK TO SAVEPOINT pglint_hypo")
            return None
        conn.execute("RELEASE SAVEPOINT pglint_hypo")
        return rows[0][0] if rows else None

    def _try(self, q: Query, combos) -> tuple[float, list[str], dict]:
        self._reset()
        made: dict[str, tuple] = {}
        for key, cols in itertools.islice(combos, MAX_HYPOTHETICAL):
            name = self._create(key, cols)
            if name is not None:
                made[name] = (key, cols)
        if not made:
            return float("inf"), [], made
        plan = self.session.explain(q)
        return float(plan["Plan"]["Total Cost"]), _used(plan, made), made

    def advise(self, q: Query, model: SchemaModel, base_plan: dict) -> Finding | None:
        """The index that cuts the plan cost by index-min-saving or more (inside a transaction)."""
        cfg = self.cfg
        initial = float((base_plan.get("Plan") or {}).get("Total Cost") or 0.0)
        if initial < cfg.index_min_cost:
            return None
        cands = candidates(q, model)
        singles = [(k, (c,)) for k, cols in cands.items() for c in cols if not _covered(model, k, (c,))]
        pairs = [(k, p) for k, cols in cands.items() for p in itertools.permutations(cols, 2)
                 if not _covered(model, k, p)]
        if not singles and not pairs:
            return None
        keep = 1.0 - cfg.index_min_saving
        try:
            best = None
            cost1, used1, made1 = self._try(q, iter(singles))
            if used1 and cost1 <= initial * keep:
                best = (cost1, [made1[n] for n in used1])
            if pairs:
                cost2, used2, made2 = self._try(q, iter(pairs))
                base = min(cost1, initial)
                if used2 and len(used2) == 1 and base > cfg.index_min_cost and cost2 <= base * keep:
                    best = (cost2, [made2[n] for n in used2])
            if best is None:
                return None
            cost, indexes = best
            if len(indexes) > 1:  # pass 3: each alone
                alone = []
                for ix in indexes:
                    c, used, made = self._try(q, iter([ix]))
                    if used:
                        alone.append((c, ix))
                alone = [a for a in alone if a[0] <= initial * keep]
                if not alone:
                    return None
                cost, ix = min(alone, key=lambda a: a[0])
            else:
                ix = indexes[0]
        finally:
            self._reset()
        key, cols = ix
        return _finding(key, cols, initial, cost)


def _finding(key, cols, initial: float, cost: float) -> Finding:
    name = choose_name(key[1], cols, "idx")
    table = f"{ident(key[0])}.{ident(key[1])}"
    stmt = f"CREATE INDEX CONCURRENTLY {ident(name)} ON {table} ({', '.join(ident(c) for c in cols)});"
    saving = 1 - cost / initial if initial else 0.0
    return Finding(
        "plan-missing-index",
        fitted(f"A hypothetical index on {key[0]}.{key[1]} ({', '.join(cols)}) cuts this query's estimated cost by "
               f"{saving * 100:.0f}% ({initial:,.0f} to {cost:,.0f})",
               f"A hypothetical index on {key[0]}.{key[1]} cuts this query's estimated cost by {saving * 100:.0f}%"),
        f"Create it without blocking writes, in its own migration outside a transaction: {stmt}",
        f"{key[0]}.{key[1]}", key[1], None,
        {"index": stmt, "columns": list(cols), "cost_before": round(initial, 2), "cost_after": round(cost, 2),
         "saving": round(saving, 3)},
        "PostgreSQL planned the query with the index in place (hypopg, nothing was built): its plan then reads "
        "the matching rows through the index instead of scanning for them.",
    )

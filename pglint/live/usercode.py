"""Which queries may run the database's own (user-defined) functions when pglint EXPLAINs them.

The read-only transaction pglint EXPLAINs in stops every write a query makes, but not what a
function does outside it: a dblink or postgres_fdw call writes through a connection of its
own, advisory locks, pg_terminate_backend, pg_stat_reset or replication slots outlive the
rollback. PostgreSQL does not check what a function calls against its declared volatility,
and it runs functions earlier than one might think:

- plain EXPLAIN plans the query, and the planner evaluates IMMUTABLE functions whose
  arguments are constants (constant folding), and STABLE ones to estimate selectivity;
- EXPLAIN ANALYZE runs the query, so every function it calls, whatever its volatility.

A query can call a function directly, through an operator, a view (at any depth), a row
level security policy, a domain's CHECK constraint, or (INSERT/UPDATE) a column default.
This module reads, from catalog rows only (pg_proc, pg_operator, pg_depend: no lock on user
tables), the user-defined functions (outside pg_catalog and information_schema and not part
of an extension: extensions are installed by a superuser and their declared volatility is
trusted, as the built-ins' is) and every object above that leads to one. check.py then
EXPLAINs only queries that reach no IMMUTABLE/STABLE user function, and runs ANALYZE only on
queries that reach no user function at all.

Built-in functions (and extension functions) that --analyze must not run (volatile ones, and
safety.NOT_AS_DECLARED) are followed the same way through views, policies, defaults and
domain constraints. PostgreSQL records no dependency on a built-in (pg_depend leaves out
pinned objects), so they are read from the stored expressions (pg_node_tree: the ``:funcid``
of each function call, ``:opfuncid`` of each operator, ``:aggfnoid`` and ``:winfnoid``),
scanned on the server, from catalog rows only.

Not covered: user-defined casts applied implicitly, and user-defined types' I/O functions
(C functions, which only a superuser can create).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Key = tuple[str, str]

Q_USER_FUNCTIONS = """
SELECT p.oid::int8, p.proname, p.provolatile::text
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (SELECT 1 FROM pg_depend e
                  WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
"""

Q_OPERATORS = "SELECT o.oprname, o.oprcode::oid::int8 FROM pg_operator o WHERE o.oprcode::oid <> 0"

# what views, policies, defaults and domain constraints depend on: functions, operators
# (as their function) and other relations (views reading views)
Q_DEPENDS = """
SELECT CASE d.classid WHEN 'pg_rewrite'::regclass THEN 'r' WHEN 'pg_policy'::regclass THEN 'p'
                      WHEN 'pg_attrdef'::regclass THEN 'd' ELSE 'c' END,
       COALESCE(r.ev_class, pol.polrelid, ad.adrelid, con.contypid)::int8,
       d.refclassid = 'pg_class'::regclass,
       (CASE WHEN d.refclassid = 'pg_operator'::regclass THEN o.oprcode::oid ELSE d.refobjid END)::int8,
       ty.typname
FROM pg_depend d
LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
LEFT JOIN pg_policy pol ON d.classid = 'pg_policy'::regclass AND pol.oid = d.objid
LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
LEFT JOIN pg_constraint con ON d.classid = 'pg_constraint'::regclass AND con.oid = d.objid AND con.contypid <> 0
LEFT JOIN pg_type ty ON ty.oid = con.contypid
LEFT JOIN pg_operator o ON d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
WHERE d.classid IN ('pg_rewrite'::regclass, 'pg_policy'::regclass, 'pg_attrdef'::regclass,
                    'pg_constraint'::regclass)
  AND d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass, 'pg_class'::regclass)
"""

# built-in and extension functions --analyze must not run, called by the stored expressions
# of views, policies, column defaults and domain constraints
Q_BUILTIN_USES = r"""
WITH exprs AS (
  SELECT 'r' AS via, r.ev_class AS owner, NULL::name AS typname, r.ev_action::text AS tree FROM pg_rewrite r
  UNION ALL
  SELECT 'p', pol.polrelid, NULL, coalesce(pol.polqual::text, '') || coalesce(pol.polwithcheck::text, '')
  FROM pg_policy pol
  UNION ALL
  SELECT 'd', ad.adrelid, NULL, ad.adbin::text FROM pg_attrdef ad
  UNION ALL
  SELECT 'c', con.contypid, ty.typname, con.conbin::text
  FROM pg_constraint con JOIN pg_type ty ON ty.oid = con.contypid WHERE con.contypid <> 0 AND con.conbin IS NOT NULL
)
SELECT DISTINCT e.via, e.owner::int8, e.typname, p.proname, p.provolatile::text
FROM exprs e
CROSS JOIN LATERAL regexp_matches(e.tree, ':(?:funcid|opfuncid|aggfnoid|winfnoid) (\d+)', 'g') m
JOIN pg_proc p ON p.oid = m[1]::oid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE (p.provolatile = 'v' OR p.proname = ANY(%s))
  AND (n.nspname IN ('pg_catalog', 'information_schema')
       OR EXISTS (SELECT 1 FROM pg_depend e
                  WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e'))
"""


@dataclass
class UserCode:
    """User-defined functions, as (name, volatility) pairs, and what leads to them."""

    functions: dict[str, set[str]] = field(default_factory=dict)  # name -> volatilities
    operators: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # operator -> functions
    reading: dict[Key, set[tuple[str, str]]] = field(default_factory=dict)  # relation read (views, policies)
    writing: dict[Key, set[tuple[str, str]]] = field(default_factory=dict)  # relation written (+ defaults)
    domains: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # domain type name -> functions
    # the same, for the built-in and extension functions --analyze must not run
    builtin_reading: dict[Key, set[tuple[str, str]]] = field(default_factory=dict)
    builtin_writing: dict[Key, set[tuple[str, str]]] = field(default_factory=dict)
    builtin_domains: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def reached(self, functions=(), operators=(), read=(), written=(), casts=()) -> list[tuple[str, str]]:
        """The user functions (name, volatility) a query with these parts may run."""
        out: set[tuple[str, str]] = set()
        for name in functions:
            out.update((name, v) for v in self.functions.get(name, ()))
        for op in operators:
            out.update(self.operators.get(op, ()))
        for k in read:
            out.update(self.reading.get(k, ()))
        for k in written:
            out.update(self.writing.get(k, ()))
            out.update(self.reading.get(k, ()))
        for t in casts:
            out.update(self.domains.get(t, ()))
        return sorted(out)

    def reached_builtins(self, read=(), written=(), casts=()) -> list[tuple[str, str]]:
        """The built-in or extension functions (name, volatility) that --analyze must not run
        which a query reading / writing these relations, or casting to these types, may run
        through a view, a policy, a default or a domain's CHECK."""
        out: set[tuple[str, str]] = set()
        for k in read:
            out.update(self.builtin_reading.get(k, ()))
        for k in written:
            out.update(self.builtin_writing.get(k, ()))
            out.update(self.builtin_reading.get(k, ()))
        for t in casts:
            out.update(self.builtin_domains.get(t, ()))
        return sorted(out)


def load(session, oids: dict[Key, int]) -> UserCode:
    """Read inside an open transaction of ``session`` (catalog rows only)."""
    from .safety import NOT_AS_DECLARED

    uc = UserCode()
    user: dict[int, tuple[str, str]] = {}
    for oid, name, vol in session.fetch(Q_USER_FUNCTIONS):
        user[oid] = (name.lower(), vol)
        uc.functions.setdefault(name.lower(), set()).add(vol)
    keys = {oid: k for k, oid in oids.items()}
    edges: dict[int, set[int]] = {}  # relation -> relations its view rule reads
    direct: dict[tuple[str, int], set[tuple[str, str]]] = {}  # (via, owner) -> user functions
    builtin: dict[tuple[str, int], set[tuple[str, str]]] = {}  # (via, owner) -> built-ins
    if user:
        for opname, code in session.fetch(Q_OPERATORS):
            if code in user:
                uc.operators.setdefault(opname, set()).add(user[code])
    for via, owner, is_rel, ref, typname in session.fetch(Q_DEPENDS):
        if owner is None:
            continue
        if is_rel:
            if via == "r" and ref != owner:
                edges.setdefault(owner, set()).add(ref)
        elif ref in user:
            if via == "c":
                if typname:
                    uc.domains.setdefault(typname.lower(), set()).add(user[ref])
            else:
                direct.setdefault((via, owner), set()).add(user[ref])
    for via, owner, typname, name, vol in session.fetch(Q_BUILTIN_USES, [sorted(NOT_AS_DECLARED)]):
        if owner is None:
            continue
        if via == "c":
            if typname:
                uc.builtin_domains.setdefault(typname.lower(), set()).add((name.lower(), vol))
        else:
            builtin.setdefault((via, owner), set()).add((name.lower(), vol))
    for found, reading, writing in ((direct, uc.reading, uc.writing), (builtin, uc.builtin_reading, uc.builtin_writing)):
        _follow_views(found, edges, keys, reading, writing)
    return uc


def _follow_views(direct, edges, keys, reading, writing) -> None:
    """What reading a relation may run (its view rule, at any depth, and its policies) and what
    writing it may run (its defaults), by relation key."""
    memo: dict[int, set[tuple[str, str]]] = {}

    def read_side(rel: int, seen: frozenset = frozenset()) -> set[tuple[str, str]]:
        if rel in memo:
            return memo[rel]
        out = set(direct.get(("r", rel), ())) | set(direct.get(("p", rel), ()))
        for other in edges.get(rel, ()):
            if other not in seen:
                out |= read_side(other, seen | {rel})
        memo[rel] = out
        return out

    rels = {owner for (_, owner) in direct} | set(edges)
    for rel in rels:
        k = keys.get(rel)
        if k is None:
            continue
        r = read_side(rel)
        if r:
            reading[k] = r
        w = set(direct.get(("d", rel), ()))
        if w:
            writing[k] = w

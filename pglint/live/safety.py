"""What live mode may send to the database, decided by PostgreSQL's own parser (pglast).

Only text that parses as exactly one SELECT / INSERT / UPDATE / DELETE (VALUES and WITH
are SELECTs, or carry their DML) is ever sent, and only wrapped in EXPLAIN (or PREPARE for
statements with $n parameters). The final text, wrapper included, is parsed again and must
be exactly the one statement pglint built. ANALYZE (which executes the query) is allowed
only for read-only queries: no INSERT/UPDATE/DELETE at any level, no SELECT INTO, no
FOR UPDATE/SHARE, and only functions the server's catalog marks IMMUTABLE or STABLE
(pg_proc.provolatile of every function of that name, built-ins included: a name the catalog
does not know counts as volatile), minus the built-ins in NOT_AS_DECLARED, which are STABLE
but change something or run other queries. Those are not even planned where the planner may
call them (anywhere but the outermost select list): it evaluates STABLE functions while it
estimates a condition.

The session adds its own guarantees (session.py): BEGIN READ ONLY, statement and lock
timeouts, ROLLBACK, the extended protocol (one statement per message).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from ..model.nodes import strings, walk

ALLOWED = frozenset({"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt"})
_DML = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})

# Built-ins the catalog marks STABLE that must not run all the same (name -> what they do).
# txid_current() in a read-only transaction still assigns a transaction ID: a write to the
# cluster's state that ROLLBACK does not undo (the counter moves on, and the ID is logged).
_ASSIGNS_XID = "assigns a transaction ID, a write that ROLLBACK does not undo"
_RUNS_QUERIES = "runs queries of its own, which may call other functions"
NOT_AS_DECLARED = {
    "txid_current": _ASSIGNS_XID, "pg_current_xact_id": _ASSIGNS_XID,
    **{f"{what}_to_{form}": _RUNS_QUERIES for what in ("table", "schema", "database")
       for form in ("xml", "xmlschema", "xml_and_xmlschema")},
}


class Refused(ValueError):
    """The text is not something live mode sends; the message says why."""


@dataclass
class Query:
    text: str  # the statement as sent inside EXPLAIN (no trailing semicolon)
    type: str  # SelectStmt, InsertStmt, UpdateStmt, DeleteStmt
    node: dict = field(repr=False)
    params: int = 0  # highest $n
    read_only: bool = True  # nothing in it writes or locks rows
    not_read_only: str | None = None  # why not
    functions: tuple[str, ...] = ()  # names of the functions it calls (lower case, unqualified)
    # the ones it calls anywhere but directly in the outermost SELECT's select list, where the
    # planner may evaluate them (STABLE ones, to estimate a condition, a LIMIT, a row count)
    planned_functions: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()  # operators it uses (BETWEEN as >= and <=, IN and DISTINCT as =)
    casts: tuple[str, ...] = ()  # type names it casts to (lower case, unqualified)

    @property
    def fingerprint(self) -> str | None:
        from pglast.parser import fingerprint

        try:
            return fingerprint(self.text)
        except Exception:  # noqa: BLE001 - pglast raises its own ParseError types
            return None


def _parse(text: str) -> list[dict]:
    from pglast.parser import ParseError, parse_sql_json

    try:
        return json.loads(parse_sql_json(text)).get("stmts", [])
    except ParseError as exc:
        raise Refused(f"it does not parse: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise Refused(f"it cannot be analysed: {exc}") from None


def strip(text: str) -> str:
    """The statement without its trailing semicolon and blanks."""
    t = text.rstrip()
    while t.endswith(";"):
        t = t[:-1].rstrip()
    return t


def vet(text: str) -> Query:
    """A Query if ``text`` is exactly one statement live mode may EXPLAIN; else Refused."""
    text = strip(text)
    stmts = _parse(text)
    if len(stmts) != 1:
        raise Refused(f"it holds {len(stmts)} statements, not one")
    stmt = stmts[0].get("stmt") or {}
    if len(stmt) != 1:
        raise Refused("it is not a statement")
    (typ, node), = stmt.items()
    if typ not in ALLOWED:
        raise Refused(f"{typ} is not a query (only SELECT, INSERT, UPDATE, DELETE, VALUES and WITH are EXPLAINed)")
    q = Query(text, typ, node)
    max_param = 0
    funcs: list[str] = []
    ops: list[str] = []
    casts: list[str] = []
    why = None
    if typ != "SelectStmt":
        why = f"it is an {typ[:-4].upper()}"
    for t, f in walk(node, typ):
        if t == "SelectStmt":
            if f.get("intoClause"):
                raise Refused("SELECT INTO creates a table")
            if f.get("lockingClause"):
                why = why or "it locks rows (FOR UPDATE/SHARE)"
        elif t in _DML and f is not node:
            why = why or "it modifies data in a WITH clause"
        elif t == "ParamRef":
            max_param = max(max_param, int(f.get("number") or 0))
        elif t == "FuncCall":
            parts = strings(f.get("funcname"))
            if parts:
                funcs.append(parts[-1].lower())
        elif t == "A_Expr":
            parts = strings(f.get("name"))
            kind = f.get("kind") or ""
            if "BETWEEN" in kind:
                ops += [">=", "<="]
            elif "DISTINCT" in kind or kind == "AEXPR_NULLIF":
                ops.append("=")
            elif parts:
                ops.append(parts[-1])
        elif t == "TypeCast":
            parts = strings((f.get("typeName") or {}).get("names"))
            if parts:
                casts.append(parts[-1].lower())
    q.params = max_param
    q.functions = tuple(dict.fromkeys(funcs))
    in_select_list = _select_list_calls(node) if typ == "SelectStmt" else Counter()
    q.planned_functions = tuple(n for n, k in Counter(funcs).items() if k > in_select_list.get(n, 0))
    q.operators = tuple(dict.fromkeys(ops))
    q.casts = tuple(dict.fromkeys(casts))
    q.read_only = why is None
    q.not_read_only = why
    return q


def _select_list_calls(node: dict) -> Counter:
    """Function names called directly in the outermost select list (not inside a subquery):
    expressions the planner does not evaluate."""
    out: Counter = Counter()
    if node.get("op") not in (None, "SETOP_NONE"):
        return out
    stack = list(node.get("targetList") or ())
    while stack:
        x = stack.pop()
        if isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, dict):
            if "SubLink" in x or "SelectStmt" in x:
                continue
            fc = x.get("FuncCall")
            if isinstance(fc, dict):
                parts = strings(fc.get("funcname"))
                if parts:
                    out[parts[-1].lower()] += 1
            stack.extend(v for v in x.values() if isinstance(v, (dict, list)))
    return out


def volatile_calls(q: Query, volatility: dict[str, str]) -> list[str]:
    """Functions the query calls that ANALYZE must not run: marked neither IMMUTABLE nor
    STABLE in the catalog (the most volatile overload of the name counts), unknown to it, or
    in NOT_AS_DECLARED."""
    return [name for name in q.functions
            if name in NOT_AS_DECLARED or volatility.get(name) not in ("i", "s")]


def why_not_run(name: str, volatility: dict[str, str]) -> str:
    """Why ANALYZE does not run a function (for messages)."""
    if name in NOT_AS_DECLARED:
        return NOT_AS_DECLARED[name]
    v = volatility.get(name)
    if v is None:
        return "unknown to the catalog"
    return "volatile" if v == "v" else f"volatility {v!r}"


def planned_calls_not_as_declared(q: Query) -> list[str]:
    """NOT_AS_DECLARED functions the planner itself may run for this query."""
    return [n for n in q.planned_functions if n in NOT_AS_DECLARED]


_OPTION_NAMES = {"format", "verbose", "analyze", "buffers", "generic_plan", "costs", "settings"}


def explain_sql(q: Query, *, analyze: bool = False, generic: bool = False) -> str:
    """``EXPLAIN (...) <query>``, checked to be exactly that one statement."""
    if analyze and not q.read_only:
        raise Refused(f"not run with ANALYZE: {q.not_read_only}")
    if analyze and generic:
        raise Refused("GENERIC_PLAN cannot be combined with ANALYZE")
    opts = ["FORMAT JSON", "VERBOSE"]
    if analyze:
        opts += ["ANALYZE", "BUFFERS"]
    if generic:
        opts.append("GENERIC_PLAN")
    sql = f"EXPLAIN ({', '.join(opts)}) {q.text}"
    check_explain(sql, q.type, analyze=analyze, generic=generic)
    return sql


def check_explain(sql: str, inner: str, *, analyze: bool, generic: bool = False) -> None:
    stmts = _parse(sql)
    if len(stmts) != 1 or "ExplainStmt" not in (stmts[0].get("stmt") or {}):
        raise Refused("the EXPLAIN text is not one EXPLAIN statement")
    ex = stmts[0]["stmt"]["ExplainStmt"]
    query = ex.get("query") or {}
    if list(query) != [inner]:
        raise Refused(f"the EXPLAINed statement is {list(query)}, expected {inner}")
    names = {(o.get("DefElem") or {}).get("defname") for o in ex.get("options") or ()}
    if not names <= _OPTION_NAMES:
        raise Refused(f"unexpected EXPLAIN options {sorted(n for n in names if n not in _OPTION_NAMES)}")
    if ("analyze" in names) != analyze or ("generic_plan" in names) != generic:
        raise Refused("EXPLAIN options differ from the ones requested")
    if inner == "ExecuteStmt" and not re.fullmatch(r"pglint_\d+", query["ExecuteStmt"].get("name", "")):
        raise Refused("EXECUTE of a statement pglint did not prepare")


_NAME = re.compile(r"pglint_\d+")


def prepare_sql(q: Query, name: str) -> str:
    """``PREPARE name AS <query>``, checked to be exactly that one statement."""
    if not _NAME.fullmatch(name):
        raise Refused(f"bad statement name {name!r}")
    sql = f"PREPARE {name} AS {q.text}"
    stmts = _parse(sql)
    if len(stmts) != 1 or "PrepareStmt" not in (stmts[0].get("stmt") or {}):
        raise Refused("the PREPARE text is not one PREPARE statement")
    p = stmts[0]["stmt"]["PrepareStmt"]
    if p.get("name") != name or list(p.get("query") or {}) != [q.type] or p.get("argtypes"):
        raise Refused("the PREPARE text is not the statement pglint built")
    return sql


def explain_execute_sql(name: str, nparams: int) -> str:
    if not _NAME.fullmatch(name):
        raise Refused(f"bad statement name {name!r}")
    args = "(" + ", ".join(["NULL"] * nparams) + ")" if nparams else ""
    sql = f"EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE {name}{args}"
    check_explain(sql, "ExecuteStmt", analyze=False)
    return sql

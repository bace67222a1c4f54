"""dynamic-sql-injection: EXECUTE of a string built from values that are not constants
and not quoted.

A taint analysis over the PL/pgSQL tree of each function, procedure and DO block:
parameters, query results, record fields, trigger data and error texts are *tainted*;
literals and variables that only ever hold constants are not; quote_ident/
quote_literal/quote_nullable, format() %I/%L, casts to regclass and values whose type
cannot hold SQL text (numbers, booleans, dates ...) make a value safe. The analysis is
flow-sensitive (``v := quote_ident(v)`` cleans ``v`` from there on): branches join,
loops run to a fixpoint, exception handlers see every state of their block.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from ..engine.registry import Rule
from ..model.nodes import const_value, strings, walk
from ..model.plpgsql import (
    ASSIGN_MODES, Body, aliases, body_source, datums, function_of, function_parameters, parse_expression, parse_statement,
    split_assignment, typname,
)
from ._common import fitted

RULE = Rule(
    "PG501", "dynamic-sql-injection",
    summary="EXECUTE of SQL built from parameters, variables or query results without quoting (SQL injection)",
    category="security", severity="error",
    needs=("@dynamic-sql",),  # a body that runs a query string built at run time
)

# Types whose text form cannot carry SQL: spliced unquoted they may be wrong, never injected.
_SAFE_TYPES = frozenset({
    "int2", "int4", "int8", "smallint", "integer", "int", "bigint", "numeric", "decimal", "float4", "float8",
    "real", "double precision", "float", "bool", "boolean", "oid", "xid", "xid8", "cid", "tid", "pg_lsn",
    "regclass", "regproc", "regprocedure", "regoper", "regoperator", "regtype", "regnamespace", "regrole",
    "regconfig", "regdictionary", "regcollation", "date", "time", "timetz", "timestamp", "timestamptz",
    "interval", "uuid", "money", "inet", "cidr", "macaddr", "macaddr8", "bit", "varbit", "void",
    "serial", "bigserial", "smallserial", "serial4", "serial8", "serial2",
})

# Functions whose result is safe whatever their arguments: the quoting functions,
# functions returning numbers, booleans, times or catalog-quoted SQL (pg_get_*def,
# format_type, regclass lookups).
_SAFE_FUNCS = frozenset({
    "quote_ident", "quote_literal", "quote_nullable",
    "length", "char_length", "character_length", "octet_length", "bit_length", "array_length", "array_lower",
    "array_upper", "array_ndims", "cardinality", "strpos", "position", "count", "sum", "avg", "abs", "ceil",
    "ceiling", "floor", "round", "trunc", "mod", "sign", "sqrt", "power", "random", "extract", "date_part",
    "date_trunc", "now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "age",
    "make_interval", "make_date", "make_time", "make_timestamp", "make_timestamptz", "to_timestamp", "to_date",
    "to_number", "nextval", "currval", "lastval", "setval", "pg_backend_pid", "txid_current",
    "pg_current_xact_id", "pg_relation_size", "pg_table_size", "pg_total_relation_size", "pg_indexes_size",
    "pg_column_size", "pg_database_size", "pg_size_bytes", "hashtext", "md5", "sha224", "sha256", "sha384",
    "sha512", "to_regclass", "to_regproc", "to_regprocedure", "to_regtype", "to_regnamespace", "to_regrole",
    "pg_typeof", "format_type", "pg_get_indexdef", "pg_get_constraintdef", "pg_get_triggerdef",
    "pg_get_viewdef", "pg_get_functiondef", "pg_get_function_arguments", "pg_get_function_identity_arguments",
    "pg_get_function_result", "pg_get_expr", "pg_get_ruledef", "pg_get_statisticsobjdef", "pg_get_partkeydef",
    "pg_get_partition_constraintdef", "pg_get_serial_sequence", "array_position", "num_nonnulls", "num_nulls",
    "gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1", "has_table_privilege", "has_schema_privilege",
    "has_function_privilege", "has_column_privilege", "has_sequence_privilege", "has_database_privilege",
    "pg_has_role", "pg_is_in_recovery", "jsonb_typeof", "json_typeof", "bool_and", "bool_or", "every",
    "generate_series", "row_number", "rank", "dense_rank", "current_schema",
    "current_database", "pg_try_advisory_lock", "pg_try_advisory_xact_lock", "pg_advisory_lock",
    "pg_advisory_xact_lock", "isfinite", "justify_interval", "justify_days", "justify_hours", "width_bucket",
})

# Operators whose result is a boolean or a number/time: never SQL text.
_SAFE_OPS = frozenset({
    "=", "<>", "!=", "<", ">", "<=", ">=", "~", "~*", "!~", "!~*", "~~", "~~*", "!~~", "!~~*", "+", "-", "*",
    "/", "%", "^", "@>", "<@", "&&", "?", "?|", "?&", "@@", "|/", "||/", "@", "<<", ">>", "&<", "&>", "-|-",
})

# Functions that join several strings into one.
_JOINING_FUNCS = frozenset({"concat", "concat_ws", "string_agg", "array_to_string", "array_cat", "array_append",
                            "array_prepend", "overlay", "lpad", "rpad", "repeat"})

# Catalog columns whose values PostgreSQL restricts to keywords or to validated
# name=value options (pg_class.reloptions, information_schema privilege_type ...).
_CATALOG_SAFE_COLUMNS = frozenset({
    "reloptions", "privilege_type", "is_grantable", "relkind", "relpersistence", "relreplident", "contype",
    "provolatile", "prokind", "typtype", "attidentity", "attgenerated", "partstrat",
})

# Trigger variables: which carry data from outside the function.
_TRIGGER_NAMES = {"tg_table_name": "TG_TABLE_NAME", "tg_relname": "TG_RELNAME",
                  "tg_table_schema": "TG_TABLE_SCHEMA", "tg_name": "TG_NAME"}
_DIAG_SAFE = frozenset({"ROW_COUNT", "RETURNED_SQLSTATE", "PG_ROUTINE_OID"})
_ERROR_LEVEL = 21  # RAISE EXCEPTION (elog ERROR)


class Source(NamedTuple):
    """Where a tainted value comes from (a tuple: compared and hashed in C, the analysis
    does that a lot)."""

    kind: str  # parameter, query, column, dynamic, fetch, trigger-row, trigger-name, trigger-arg, error, setting
    name: str
    lineno: int = 0  # body line (query results)
    # joined with other text (||, concat, format %s ...): a piece of SQL rather than a
    # whole SQL string handed over as such (EXECUTE p_sql runs what it is given)
    spliced: bool = False

    def describe(self, line_of) -> str:
        k, n = self.kind, self.name
        if k == "parameter":
            return f"parameter `{n}`"
        if k == "query":
            return f"`{n}` (read by a query at line {line_of(self.lineno)})"
        if k == "dynamic":
            return f"`{n}` (read by a dynamic query at line {line_of(self.lineno)})"
        if k == "fetch":
            return f"`{n}` (fetched from a cursor at line {line_of(self.lineno)})"
        if k == "column":
            return f"column `{n}` of a query"
        if k == "trigger-row":
            return f"the trigger row `{n}`"
        if k == "trigger-name":
            return f"`{n}` (a name, not quoted)"
        if k == "trigger-arg":
            return "a trigger argument (`TG_ARGV`)"
        if k == "error":
            return f"the error text `{n}`"
        if k == "setting":
            return f"the setting `{n}` (the caller can change it)"
        return f"`{n}`"


EMPTY: frozenset = frozenset()


def _splice(taint: frozenset) -> frozenset:
    """The taint of a value once joined with other text."""
    if not taint:
        return taint
    return frozenset((via, s if s.spliced else Source(s.kind, s.name, s.lineno, True)) for via, s in taint)


def _unwrap(n):
    if type(n) is dict and len(n) == 1:
        for k, v in n.items():
            return k, v
    return None, None


def _expr_query(e) -> tuple[str, int]:
    """(query, parseMode) of a {"PLpgSQL_expr": ...} wrapper."""
    f = (e or {}).get("PLpgSQL_expr") or {}
    return f.get("query", "") or "", f.get("parseMode", 0)


def _type_is_safe(name: str) -> bool:
    n = name.lower().strip()
    if n.startswith("_"):
        n = n[1:]
    if n.endswith("[]"):
        n = n[:-2]
    if "." in n and "%" not in n:
        n = n.rsplit(".", 1)[1]
    return n in _SAFE_TYPES


def _typename_is_safe(tn: dict) -> bool:
    names = strings((tn or {}).get("names"))
    if not names:
        return False
    if len(names) == 2 and names[0] != "pg_catalog":
        return False
    return _type_is_safe(names[-1])


def _const_string(n) -> str | None:
    """The value of a constant string expression (literals joined with ||)."""
    t, f = _unwrap(n)
    if t == "A_Const":
        v = const_value(n)
        return v if isinstance(v, str) else None
    if t == "TypeCast":
        return _const_string(f.get("arg"))
    if t == "A_Expr" and f.get("kind") == "AEXPR_OP" and strings(f.get("name")) == ["||"]:
        a, b = _const_string(f.get("lexpr")), _const_string(f.get("rexpr"))
        return a + b if a is not None and b is not None else None
    return None


@lru_cache(maxsize=4096)
def format_conversions(fmt: str) -> tuple[tuple[int, str], ...] | None:
    """(argument index, conversion) of each %s/%I/%L of a format() string, as PostgreSQL's
    text_format reads it; None when the string is malformed."""
    out = []
    i, n, nxt = 0, len(fmt), 0
    while i < n:
        if fmt[i] != "%":
            i += 1
            continue
        i += 1
        if i >= n:
            return None
        if fmt[i] == "%":
            i += 1
            continue
        # optional position n$
        j = i
        while j < n and fmt[j].isdigit():
            j += 1
        pos = None
        if j > i and j < n and fmt[j] == "$":
            pos = int(fmt[i:j]) - 1
            i = j + 1
        # flags
        while i < n and fmt[i] == "-":
            i += 1
        # width: digits, or * (optionally *n$), which takes an argument
        if i < n and fmt[i] == "*":
            i += 1
            j = i
            while j < n and fmt[j].isdigit():
                j += 1
            if j > i and j < n and fmt[j] == "$":
                nxt = int(fmt[i:j])  # width from argument n; the value follows it
                i = j + 1
            else:
                nxt += 1
        else:
            while i < n and fmt[i].isdigit():
                i += 1
        if i >= n:
            return None
        conv = fmt[i]
        i += 1
        if conv not in "sIL":
            return None
        arg = pos if pos is not None else nxt
        nxt = arg + 1
        out.append((arg, conv))
    return tuple(out)


class _Frame:
    __slots__ = ("label", "loop", "exits", "continues")

    def __init__(self, label, loop):
        self.label = label
        self.loop = loop
        self.exits = None
        self.continues = None


def _all_exprs(func: dict):
    """Every PLpgSQL_expr wrapper of a function's statements and declarations."""
    stack = [func.get("action"), [d for d in func.get("datums") or ()]]
    while stack:
        n = stack.pop()
        if type(n) is list:
            stack.extend(n)
        elif type(n) is dict:
            for k, v in n.items():
                if k == "PLpgSQL_expr":
                    yield n
                elif type(v) in (dict, list):
                    stack.append(v)


@lru_cache(maxsize=8192)
def _refs(text: str) -> frozenset:
    """Names an expression or query reads: first (and second, for label.var) parts of
    its column references, and $n."""
    if not text:
        return frozenset()
    tree = parse_expression(text)
    if tree is None:
        parsed = parse_statement(text)
        tree = {parsed[0]: parsed[1]} if parsed else None
    out = set()
    stack = [tree]
    while stack:
        n = stack.pop()
        if type(n) is list:
            stack.extend(n)
        elif type(n) is dict:
            cr = n.get("ColumnRef")
            if type(cr) is dict:
                parts = strings(cr.get("fields"))
                out.update(parts[:2])
            pr = n.get("ParamRef")
            if type(pr) is dict:
                out.add(f"${pr.get('number', 0)}")
            for v in n.values():
                if type(v) in (dict, list):
                    stack.append(v)
    return frozenset(out)


def _merge2(a: dict | None, b: dict | None) -> dict | None:
    """Join of two states (None: unreachable). Keys: a datum number -> its taint (absent:
    clean); ("f", rec, field) -> a record field's taint (absent: the record's);
    ("c", var) -> the constant strings the variable may hold (absent: not known)."""
    if a is None:
        return b
    if b is None or a is b:
        return a
    out = {}
    missing = _MISSING
    for k, va in a.items():
        vb = b.get(k, missing)
        if vb is va:
            out[k] = va
        elif type(k) is int:
            out[k] = va if vb is missing else va | vb
        elif k[0] == "f":
            out[k] = va | (b.get(k[1], EMPTY) if vb is missing else vb)
        elif vb is not missing:
            u = va | vb
            if len(u) <= _MAX_CONSTS:
                out[k] = u
    for k, vb in b.items():
        if k in a:
            continue
        if type(k) is int:
            out[k] = vb
        elif k[0] == "f":
            out[k] = vb | a.get(k[1], EMPTY)
    return out


_MISSING = object()


# A point of the body is described by up to _PATHS states (one per path through the
# IFs before it), so that `IF x = 'PUBLIC' THEN fmt := '%s'; ELSE fmt := '%I'; END IF;`
# keeps x and fmt together; beyond that they are merged.
_PATHS = 4


def _ms(x):
    if x is None or type(x) is tuple:
        return x
    if type(x) is list:
        return tuple(x)
    return (x,)


def _join(a, b):
    """Join of two sets of states (a dict is a set of one, None the empty set)."""
    a, b = _ms(a), _ms(b)
    if a is None:
        return b
    if b is None:
        return a
    out = list(a)
    for d in b:
        if d not in out:
            out.append(d)
    if len(out) > _PATHS:
        return (_merge(out),)
    return tuple(out)


def _merge(states) -> dict | None:
    out = None
    for d in _ms(states) or ():
        out = _merge2(out, d)
    return out


_MAX_CONSTS = 32


@dataclass
class Finding:
    kind: str  # execute, return-query, open, for
    lineno: int
    query: str
    taint: frozenset  # of (via, Source)


def _datum_names(datums_, dno) -> set[str]:
    """The variable names a datum stands for (a record field: its record; a row: its
    fields). Module-level: a recursive closure would be a reference cycle per function."""
    if dno is None or dno >= len(datums_):
        return set()
    kind, d = datums_[dno]
    if kind == "PLpgSQL_recfield":
        return _datum_names(datums_, d.get("recparentno", 0))
    if kind == "PLpgSQL_row":
        return {x for fld in d.get("fields") or () for x in _datum_names(datums_, fld.get("varno"))}
    return {d.get("refname", "")}


_HANDLERS: dict = {}  # PL/pgSQL statement kind -> Analysis function that runs it (None: no effect)


class Analysis:
    """The taint analysis of one PL/pgSQL function or DO block."""

    def __init__(self, stmt) -> None:
        tree = stmt.plpgsql
        self.func = function_of(tree) or {}
        self.datums = datums(tree)
        self.names: dict[str, list[int]] = {}
        self.safe: set[int] = set()
        self.params: list[int] = []  # datum number of $1, $2 ...
        self.init: dict[int, frozenset] = {}
        self.declared_at: dict[int, int] = {}  # datum -> line of its declaration (block locals)
        self.frames: list[_Frame] = []
        self.handlers: list[list] = []
        self._step_lists: dict[int, list] = {}  # id() of a statement list -> _steps()
        self.findings: dict[int, Finding] = {}
        self.in_function = stmt.type == "CreateFunctionStmt"  # the caller controls the session
        self.const_vars: set[int] = set()
        self._targets: dict[tuple[str, int], int] = {}
        for dno, (kind, d) in enumerate(self.datums):
            name = d.get("refname")
            if kind in ("PLpgSQL_var", "PLpgSQL_rec") and name and not name.startswith("__"):
                self.names.setdefault(name, []).append(dno)
                self._targets[(name, d.get("lineno", 0))] = dno
                if d.get("lineno", 0) > 0:
                    self.declared_at[dno] = d["lineno"]
            if kind == "PLpgSQL_var" and _type_is_safe(typname(d)):
                self.safe.add(dno)
        self._init_sources(stmt)
        body = body_source(stmt)
        if body and "alias" in body.lower():
            for name, target in aliases(body).items():
                if target.startswith("$") and target[1:].isdigit():
                    i = int(target[1:]) - 1
                    dnos = [self.params[i]] if 0 <= i < len(self.params) else []
                    for d in dnos:  # name an unnamed parameter by its alias
                        src = self.init.get(d)
                        if src and all(x.kind == "parameter" and x.name == target for x in src):
                            self.init[d] = frozenset({Source("parameter", name)})
                else:
                    dnos = self.names.get(target, [])
                if dnos:
                    self.names.setdefault(name, []).extend(dnos)
        self.const_vars = self._format_variables(stmt)
        self.relevant = self._relevant_datums()
        self.init = {k: v for k, v in self.init.items() if k in self.relevant}
        self.inert: set[int] = set()  # id() of the statements that change no state
        self._mark_inert([self.func.get("action")])

    def _relevant_datums(self) -> set[int]:
        """Datums whose value can reach a dynamic query: the variables its expression
        reads, and, backwards through assignments, INTO targets and loop variables, what
        their values are computed from. Only those are tracked (smaller states, fewer
        paths); assignments to the others are not even evaluated."""
        seeds: set[str] = set()
        edges: list[tuple[set[str], str]] = []
        datums_ = self.datums

        def name_of(dno):
            return _datum_names(datums_, dno)

        def target_names(target):
            kind, t = _unwrap(target)
            if kind == "PLpgSQL_row":
                return {fld.get("name", "") for fld in t.get("fields") or ()}
            return {t.get("refname", "")} if kind else set()

        stack = [self.func.get("action")]
        while stack:
            n = stack.pop()
            if type(n) is list:
                stack.extend(n)
                continue
            if type(n) is not dict:
                continue
            for k, f in n.items():
                if type(f) not in (dict, list):
                    continue
                stack.append(f)
                if type(f) is not dict:
                    continue
                if k in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                    seeds |= _refs(_expr_query(f.get("query"))[0])
                elif k in ("PLpgSQL_stmt_return_query", "PLpgSQL_stmt_open") and f.get("dynquery"):
                    seeds |= _refs(_expr_query(f.get("dynquery"))[0])
                if k == "PLpgSQL_stmt_assign":
                    q, mode = _expr_query(f.get("expr"))
                    cut = split_assignment(q) if mode in ASSIGN_MODES else 0
                    edges.append((name_of(f.get("varno", 0)), q[cut:] if cut is not None else ""))
                elif k == "PLpgSQL_stmt_execsql" and f.get("into"):
                    edges.append((target_names(f.get("target")), _expr_query(f.get("sqlstmt"))[0]))
                elif k == "PLpgSQL_stmt_fors":
                    edges.append((target_names(f.get("var")), _expr_query(f.get("query"))[0]))
                elif k == "PLpgSQL_stmt_forc":
                    cur = datums_[f.get("curvar", 0)][1] if f.get("curvar", 0) < len(datums_) else {}
                    edges.append((target_names(f.get("var")), _expr_query(cur.get("cursor_explicit_expr"))[0]))
                elif k == "PLpgSQL_stmt_foreach_a":
                    edges.append((name_of(f.get("varno", 0)), _expr_query(f.get("expr"))[0]))
        for _, d in datums_:
            if d.get("default_val"):
                edges.append(({d.get("refname", "")}, _expr_query(d["default_val"])[0]))
        relevant = set(seeds)
        changed = bool(relevant)
        while changed:
            changed = False
            for targets, text in edges:
                if targets & relevant:
                    new = _refs(text) - relevant
                    if new:
                        relevant |= new
                        changed = True
        out: set[int] = set()
        for name in relevant:
            if name.startswith("$") and name[1:].isdigit():
                i = int(name[1:]) - 1
                if 0 <= i < len(self.params):
                    out.add(self.params[i])
            out.update(self.names.get(name, ()))
        return out

    def _format_variables(self, stmt) -> set[int]:
        """Variables whose constant values matter: those used as format() strings, and
        those their values are built from (`fmt := 'DROP TABLE %I'`, `fmt := fmt || x`)."""
        exprs = []
        wanted: set[str] = set()
        for e in _all_exprs(self.func):
            q, mode = _expr_query(e)
            target, tree = None, None
            if mode in ASSIGN_MODES:
                k = split_assignment(q)
                if k is None:
                    continue
                target, q = q[:k], q[k:]
            if not q:
                continue
            if "format" in q.lower():
                tree = parse_expression(q)
                for t, f in walk(tree) if tree else ():
                    if t == "FuncCall" and strings(f.get("funcname"))[-1:] == ["format"] and f.get("args"):
                        first = f["args"][0]
                        wanted.update(".".join(strings(x.get("fields"))) for _, x in walk(first) if "fields" in x)
            if target is not None:
                exprs.append((target, q))
        if not wanted:
            return set()
        exprs = [(target, parse_expression(q)) for target, q in exprs]
        changed = True
        while changed:  # values flowing into them
            changed = False
            for target, tree in exprs:
                if target is None or tree is None:
                    continue
                name = target.split(":")[0].split("=")[0].strip().lower()
                if name in wanted:
                    for _, x in walk(tree):
                        if "fields" in x:
                            ref = ".".join(strings(x.get("fields")))
                            if ref not in wanted:
                                wanted.add(ref)
                                changed = True
        return {dno for n in wanted for dno in self.names.get(n, ())}

    def _init_sources(self, stmt) -> None:
        if stmt.type == "CreateFunctionStmt":
            node = stmt.node
            params = function_parameters(node)
            n = len(params)
            datums_ = self.datums
            aligned = n <= len(datums_) and all(
                datums_[i][0] in ("PLpgSQL_var", "PLpgSQL_rec")
                and (not p.get("name") or datums_[i][1].get("refname") == p.get("name"))
                for i, p in enumerate(params)
            )
            for i, p in enumerate(params):
                dno = i if aligned else next(iter(self.names.get(p.get("name") or "", [])), None)
                if dno is None:
                    continue
                self.params.append(dno)
                mode = p.get("mode", "FUNC_PARAM_IN")
                if mode in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE") or dno in self.safe:
                    continue
                if _typename_is_safe(p.get("argType")):
                    self.safe.add(dno)
                    continue
                self.init[dno] = frozenset({Source("parameter", p.get("name") or f"${i + 1}")})
            rt = strings((node.get("returnType") or {}).get("names"))
            trigger = bool(rt) and rt[-1] in ("trigger", "event_trigger")
        else:
            trigger = False
        for dno, (kind, d) in enumerate(self.datums):
            name = d.get("refname")
            if dno in self.init or d.get("lineno"):
                continue
            if trigger and kind == "PLpgSQL_rec" and name in ("new", "old"):
                self.init[dno] = frozenset({Source("trigger-row", name.upper())})
            elif trigger and name in _TRIGGER_NAMES:
                self.init[dno] = frozenset({Source("trigger-name", _TRIGGER_NAMES[name])})
            elif trigger and name == "tg_argv":
                self.init[dno] = frozenset({Source("trigger-arg", "TG_ARGV")})
        for dno, (kind, d) in enumerate(self.datums):
            if d.get("refname") == "sqlerrm":
                self.init[dno] = frozenset({Source("error", "SQLERRM")})

    # -- statements that change nothing -------------------------------------------
    def _mark_inert(self, items) -> bool:
        """Record which statements of a list (and below) change no tracked state: they assign
        no variable that reaches a dynamic query, run no dynamic query, and leave by the
        normal path only (no RETURN, EXIT, RAISE EXCEPTION, ASSERT). Running such a
        statement gives back the states it was given, so it is skipped. True when every
        statement of the list is inert."""
        every = True
        for item in items or ():
            k, f = _unwrap(item)
            if k is None:
                continue
            if self._is_inert(k, f):
                self.inert.add(id(f))
            else:
                every = False
        return every

    def _is_inert(self, k: str, f: dict) -> bool:
        mark = self._mark_inert
        if self.handler(k) is None:
            return True
        if k == "PLpgSQL_stmt_assign":
            return self._untracked(f.get("varno", 0))
        if k == "PLpgSQL_stmt_execsql":
            return not f.get("into") or not self._tracked_target(f.get("target"))
        if k in ("PLpgSQL_stmt_return_query", "PLpgSQL_stmt_open"):
            return not f.get("dynquery")
        if k == "PLpgSQL_stmt_raise":
            return f.get("elog_level", _ERROR_LEVEL) < _ERROR_LEVEL
        if k == "PLpgSQL_stmt_if":
            parts = [mark(f.get("then_body")), mark(f.get("else_body"))]
            parts += [mark((e.get("PLpgSQL_if_elsif") or {}).get("stmts")) for e in f.get("elsif_list") or ()]
            return all(parts)
        if k == "PLpgSQL_stmt_case":
            parts = [mark(f.get("else_stmts"))]
            parts += [mark((w.get("PLpgSQL_case_when") or {}).get("stmts")) for w in f.get("case_when_list") or ()]
            return all(parts)
        if k in ("PLpgSQL_stmt_loop", "PLpgSQL_stmt_while"):
            return mark(f.get("body"))
        if k == "PLpgSQL_stmt_fori":
            return mark(f.get("body")) and self._untracked(self.target_dno(f.get("var")))
        if k == "PLpgSQL_stmt_foreach_a":
            return mark(f.get("body")) and self._untracked(f.get("varno", 0))
        if k in ("PLpgSQL_stmt_fors", "PLpgSQL_stmt_forc"):
            return mark(f.get("body")) and not self._tracked_target(f.get("var"))
        if k == "PLpgSQL_stmt_block":
            body = mark(f.get("body"))
            for e in ((f.get("exceptions") or {}).get("PLpgSQL_exception_block") or {}).get("exc_list") or ():
                mark((e.get("PLpgSQL_exception") or {}).get("action"))
            # a block with handlers joins states; one that declares a tracked variable sets it
            return body and not f.get("exceptions") and not any(d in self.relevant for d in self.declared_at)
        if k == "PLpgSQL_stmt_dynfors":
            mark(f.get("body"))
        return False

    def _untracked(self, dno) -> bool:
        """Whether assigning datum ``dno`` leaves every state as it was (see assign)."""
        if dno is None or dno >= len(self.datums):
            return True
        kind, d = self.datums[dno]
        if kind in ("PLpgSQL_var", "PLpgSQL_rec"):
            return dno not in self.relevant
        if kind == "PLpgSQL_recfield":
            return d.get("recparentno", 0) not in self.relevant
        if kind == "PLpgSQL_row":
            return all(self._untracked(fld.get("varno")) for fld in d.get("fields") or ())
        return False

    def _tracked_target(self, target) -> bool:
        """Whether an INTO / loop target holds a datum that reaches a dynamic query (as
        assign_query decides)."""
        kind, t = _unwrap(target)
        if kind == "PLpgSQL_row":
            dnos = [fld.get("varno") for fld in t.get("fields") or ()]
        else:
            dnos = [self.target_dno(target)]
        return any(d in self.relevant for d in dnos)

    # -- running --------------------------------------------------------------------
    def run(self) -> list[Finding]:
        action = self.func.get("action")
        state = dict(self.init)
        k, f = _unwrap(action)
        if k:
            self.stmt(k, f, state, 0)
        return sorted(self.findings.values(), key=lambda x: x.lineno)

    def stmts(self, items, states, prev_line):
        """Run a statement list from a set of states; returns the set after it."""
        states = _ms(states)
        handlers = self.handlers
        for f, h, lineno in self._steps(items):
            if states is None:
                return None  # unreachable (after RETURN, RAISE EXCEPTION, EXIT ...)
            for acc in handlers:
                if acc[1] is not states:  # statements that change nothing keep the same tuple
                    acc[0] = _join(acc[0], states)
                    acc[1] = states
            if h is not None:  # None: inert, or a kind that changes no state (RAISE NOTICE, NULL ...)
                if len(states) == 1:
                    states = _ms(h(self, f, states[0], prev_line))
                else:
                    out = None
                    for state in states:
                        out = _join(out, h(self, f, state, prev_line))
                    states = out
            if lineno is not None:
                prev_line = lineno
        return states

    def _steps(self, items) -> list:
        """(fields, handler or None, lineno) of each statement of a list, worked out once:
        loops run their bodies again until nothing changes."""
        steps = self._step_lists.get(id(items))
        if steps is None:
            steps = []
            inert = self.inert
            for item in items or ():
                k, f = _unwrap(item)
                if k is None:
                    continue
                h = None if id(f) in inert else self.handler(k)
                steps.append((f, h, f.get("lineno")))
            self._step_lists[id(items)] = steps
        return steps

    def handler(self, kind: str):
        """The function (called with the analysis first) that runs a statement kind (None:
        it changes no state). Functions of the class, not bound methods: an analysis that
        held its own bound methods would be a reference cycle, and would keep its
        function's PL/pgSQL tree alive until the garbage collector runs (it is off while
        a file is linted)."""
        try:
            return _HANDLERS[kind]
        except KeyError:
            name = "_" + kind[len("PLpgSQL_stmt_"):] if kind.startswith("PLpgSQL_stmt_") else None
            h = _HANDLERS[kind] = getattr(Analysis, name, None) if name else None
            return h

    def stmt(self, kind, f, state, prev_line):
        h = self.handler(kind)
        if h is None:
            return state
        return h(self, f, state, prev_line)

    def _block(self, f, state, prev_line):
        line = f.get("lineno", prev_line)
        state = dict(state)
        for dno, dl in self.declared_at.items():
            if prev_line < dl <= line:
                kind, d = self.datums[dno]
                dv = d.get("default_val")
                q = _expr_query(dv)[0] if dv else "NULL"
                state = self.assign_expr(dno, q, state, dl)
        frame = _Frame(f.get("label"), False)
        self.frames.append(frame)
        exc = (f.get("exceptions") or {}).get("PLpgSQL_exception_block")
        acc = [None, None]  # states that reach the handlers, the last states joined in
        if exc:
            self.handlers.append(acc)
        out = self.stmts(f.get("body"), state, line)
        if exc:
            self.handlers.pop()
            caught = _merge(_join(acc[0], state))
            for e in exc.get("exc_list") or ():
                ef = (e.get("PLpgSQL_exception") or {})
                out = _join(out, self.stmts(ef.get("action"), caught, line))
        self.frames.pop()
        return _join(out, frame.exits)

    def _assign(self, f, state, prev_line):
        q, mode = _expr_query(f.get("expr"))
        if mode in ASSIGN_MODES:
            k = split_assignment(q)
            q = q[k:] if k is not None else ""
        return self.assign_expr(f.get("varno", 0), q, state, f.get("lineno", 0))

    def assign_expr(self, dno, text, state, lineno):
        if dno not in self.relevant and self.datums[dno][0] != "PLpgSQL_recfield":
            return state  # never reaches a dynamic query
        tree = parse_expression(text) if text else None
        if tree is None:
            return self.assign(dno, EMPTY, state)
        ev = _Eval(self, state, lineno)
        return self.assign(dno, self.origins(ev.value(tree)), state, ev.consts(tree))

    def _if(self, f, state, prev_line):
        line = f.get("lineno", prev_line)
        out = self.stmts(f.get("then_body"), self.refine(f.get("cond"), True, state), line)
        rest = self.refine(f.get("cond"), False, state)
        for e in f.get("elsif_list") or ():
            ef = e.get("PLpgSQL_if_elsif") or {}
            body = self.refine(ef.get("cond"), True, rest)
            out = _join(out, self.stmts(ef.get("stmts"), body, ef.get("lineno", line)))
            rest = self.refine(ef.get("cond"), False, rest)
        if f.get("else_body"):
            out = _join(out, self.stmts(f.get("else_body"), rest, line))
        else:
            out = _join(out, rest)
        return out

    def _assert(self, f, state, prev_line):
        return self.refine(f.get("cond"), True, state)

    def _case(self, f, state, prev_line):
        line = f.get("lineno", prev_line)
        out = None
        for w in f.get("case_when_list") or ():
            wf = w.get("PLpgSQL_case_when") or {}
            out = _join(out, self.stmts(wf.get("stmts"), state, wf.get("lineno", line)))
        if f.get("have_else"):
            out = _join(out, self.stmts(f.get("else_stmts"), state, line))
        else:
            out = _join(out, state)
        return out

    def loop(self, f, state, head):
        """Run a loop body to a fixpoint; ``head(state)`` assigns the loop variable."""
        line = f.get("lineno", 0)
        frame = _Frame(f.get("label"), True)
        self.frames.append(frame)
        cur = state
        for _ in range(12):
            s = head(cur) if head else cur
            out = self.stmts(f.get("body"), s, line)
            new = _merge(_join(_join(state, out), frame.continues))
            if new == cur:
                break
            cur = new
        self.frames.pop()
        return _join(cur, frame.exits)

    def _loop(self, f, state, prev_line):
        return self.loop(f, state, None)

    def _while(self, f, state, prev_line):
        cond = f.get("cond")
        return self.refine(cond, False, self.loop(f, state, lambda s: self.refine(cond, True, s)))

    def _fori(self, f, state, prev_line):
        dno = self.target_dno(f.get("var"))
        return self.loop(f, state, (lambda s: self.assign(dno, EMPTY, s)) if dno is not None else None)

    def _foreach_a(self, f, state, prev_line):
        line = f.get("lineno", 0)
        q, _ = _expr_query(f.get("expr"))

        def head(s):
            return self.assign(f.get("varno", 0), self.origins(self.expr(q, s, line)), s)

        return self.loop(f, state, head)

    def _fors(self, f, state, prev_line):
        line = f.get("lineno", 0)
        q, _ = _expr_query(f.get("query"))
        return self.loop(f, state, lambda s: self.assign_query(f.get("var"), q, s, line))

    def _forc(self, f, state, prev_line):
        line = f.get("lineno", 0)
        cur = self.datums[f.get("curvar", 0)][1] if f.get("curvar", 0) < len(self.datums) else {}
        q, _ = _expr_query(cur.get("cursor_explicit_expr"))
        return self.loop(f, state, lambda s: self.assign_query(f.get("var"), q, s, line))

    def _dynfors(self, f, state, prev_line):
        line = f.get("lineno", 0)
        self.check("for", f.get("query"), state, line)

        def head(s):
            return self.assign_target(f.get("var"), None, s, line, "dynamic")

        return self.loop(f, state, head)

    def _exit(self, f, state, prev_line):
        label = f.get("label")
        target = None
        for fr in reversed(self.frames):
            if (label and fr.label == label) or (not label and fr.loop):
                target = fr
                break
        if target is not None:
            taken = self.refine(f.get("cond"), True, state)
            if f.get("is_exit"):
                target.exits = _join(target.exits, taken)
            else:
                target.continues = _join(target.continues, taken)
        return self.refine(f.get("cond"), False, state) if f.get("cond") else None

    def _return(self, f, state, prev_line):
        return None

    def _raise(self, f, state, prev_line):
        return None if f.get("elog_level", _ERROR_LEVEL) >= _ERROR_LEVEL else state

    def _return_query(self, f, state, prev_line):
        if f.get("dynquery"):
            self.check("return-query", f.get("dynquery"), state, f.get("lineno", 0))
        return state

    def _open(self, f, state, prev_line):
        if f.get("dynquery"):
            self.check("open", f.get("dynquery"), state, f.get("lineno", 0))
        return state

    def _dynexecute(self, f, state, prev_line):
        line = f.get("lineno", 0)
        self.check("execute", f.get("query"), state, line)
        if f.get("into"):
            state = self.assign_target(f.get("target"), None, state, line, "dynamic")
        return state

    def _execsql(self, f, state, prev_line):
        if f.get("into"):
            q, _ = _expr_query(f.get("sqlstmt"))
            state = self.assign_query(f.get("target"), q, state, f.get("lineno", 0))
        return state

    def _fetch(self, f, state, prev_line):
        if f.get("target") and not f.get("is_move"):
            state = self.assign_target(f.get("target"), None, state, f.get("lineno", 0), "fetch")
        return state

    def _getdiag(self, f, state, prev_line):
        for it in f.get("diag_items") or ():
            d = it.get("PLpgSQL_diag_item") or {}
            kind = d.get("kind", "")
            taint = EMPTY if kind in _DIAG_SAFE else frozenset({Source("error", kind)})
            state = self.assign(d.get("target", 0), taint, state)
        return state

    # -- values ---------------------------------------------------------------------
    def check(self, kind, expr, state, lineno):
        q, _ = _expr_query(expr)
        taint = frozenset(x for x in self.expr(q, state, lineno) if x[1].spliced)
        if not taint:
            return
        key = id(expr)
        old = self.findings.get(key)
        self.findings[key] = Finding(kind, lineno, q, taint | (old.taint if old else EMPTY))

    def assign(self, dno, origins, state, consts=None, fields=None):
        """State after ``datum := value``: ``origins`` its taint, ``consts`` the constant
        strings it may be (None: not known), ``fields`` a record's per-field taints."""
        if dno is None or dno >= len(self.datums):
            return state
        kind, d = self.datums[dno]
        if kind in ("PLpgSQL_var", "PLpgSQL_rec") and dno not in self.relevant:
            return state
        if kind == "PLpgSQL_recfield" and d.get("recparentno", 0) not in self.relevant:
            return state
        state = dict(state)
        if kind == "PLpgSQL_recfield":
            parent = d.get("recparentno", 0)
            state[("f", parent, d.get("fieldname", ""))] = origins
            if origins:
                state[parent] = state.get(parent, EMPTY) | origins
            return state
        if kind == "PLpgSQL_row":
            for fld in d.get("fields") or ():
                state = self.assign(fld.get("varno"), origins, state, consts)
            return state
        if kind == "PLpgSQL_rec":
            for k in [k for k in state if type(k) is tuple and k[1] == dno]:
                del state[k]
        else:
            state.pop(("c", dno), None)
        if dno in self.safe or not origins:
            state.pop(dno, None)
        else:
            state[dno] = origins
        if consts is not None and dno in self.const_vars:
            state[("c", dno)] = consts
        if fields and kind == "PLpgSQL_rec":
            for name, taint in fields.items():
                state[("f", dno, name)] = taint
        return state

    def clean(self, ref: list[str], consts, state):
        """State where the variable or record field ``ref`` is known to hold a constant."""
        names = self.names
        if len(ref) == 1 and len(names.get(ref[0], ())) == 1:
            return self.assign(names[ref[0]][0], EMPTY, state, consts)
        if len(ref) == 2 and len(names.get(ref[0], ())) == 1:
            state = dict(state)
            state[("f", names[ref[0]][0], ref[1])] = EMPTY
        return state

    def refine(self, expr, truth: bool, state):
        """State once condition ``expr`` evaluated to ``truth``: `x IN ('a', 'b')`,
        `x = 'a'`, `x IS NULL` (their negations, AND, OR, NOT) pin x to constants."""
        if state is None or not expr:
            return state
        if type(state) is tuple:
            return tuple(self.refine(expr, truth, d) for d in state)
        q, _ = _expr_query(expr)
        for ref, consts in _pins(q, truth):
            state = self.clean(ref, consts, state)
        return state

    def target_dno(self, target) -> int | None:
        kind, t = _unwrap(target)
        if kind is None:
            return None
        if kind == "PLpgSQL_rec":
            return t.get("dno", 0)
        dno = self._targets.get((t.get("refname"), t.get("lineno", 0)))
        if dno is None:
            cands = self.names.get(t.get("refname") or "")
            dno = cands[-1] if cands else None
        return dno

    def assign_target(self, target, outputs, state, lineno, source_kind):
        """Assign the rows of a query to an INTO / loop target. ``outputs``: (column name,
        taint) of each column of the query (None: not known, every target gets a
        ``source_kind`` source)."""
        kind, t = _unwrap(target)
        if kind is None:
            return state
        if kind == "PLpgSQL_row":
            fields = t.get("fields") or []
            for i, fld in enumerate(fields):
                name = fld.get("name", "?")
                if outputs is not None and len(outputs) == len(fields):
                    o = outputs[i][1]
                elif outputs is not None:
                    o = frozenset().union(*(x[1] for x in outputs))
                else:
                    o = None
                state = self.assign(fld.get("varno"), _as_read(o, name, lineno, source_kind), state)
            return state
        dno = self.target_dno(target)
        if dno is None:
            return state
        name = t.get("refname", "?")
        if outputs is None:
            return self.assign(dno, _as_read(None, name, lineno, source_kind), state)
        fields = {}
        if kind == "PLpgSQL_rec" and all(c for c, _ in outputs):
            fields = {c: _as_read(o, f"{name}.{c}", lineno, source_kind) for c, o in outputs}
        whole = frozenset().union(*fields.values()) if fields else (
            frozenset().union(*(_as_read(o, name, lineno, source_kind) for _, o in outputs)))
        return self.assign(dno, whole, state, fields=fields)

    def assign_query(self, target, query, state, lineno):
        kind, t = _unwrap(target)
        if kind == "PLpgSQL_row":
            dnos = [fld.get("varno") for fld in t.get("fields") or ()]
        else:
            dnos = [self.target_dno(target)]
        if not any(d in self.relevant for d in dnos):
            return state  # the row never reaches a dynamic query
        outputs = self.query_outputs(query, state, lineno)
        return self.assign_target(target, outputs, state, lineno, "query")

    def query_outputs(self, query, state, lineno) -> list[tuple[str | None, frozenset]] | None:
        parsed = parse_statement(query) if query else None
        if parsed is None:
            return None
        typ, node = parsed
        ev = _Eval(self, state, lineno)
        if typ == "SelectStmt":
            outs = ev.select_outputs(node)
        elif typ in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"):
            outs = ev.target_outputs(node.get("returningList"))
        else:
            return None
        if outs is None:
            return None
        return [(c, self.origins(o)) for c, o in outs]

    def expr(self, text, state, lineno) -> frozenset:
        """Taint of a PL/pgSQL expression: a set of (reference as written, Source)."""
        if not text:
            return EMPTY
        tree = parse_expression(text)
        if tree is None:
            return EMPTY
        return _Eval(self, state, lineno).value(tree)

    @staticmethod
    def origins(taint) -> frozenset:
        return frozenset(s for _, s in taint)


def _as_read(origins, name, lineno, source_kind):
    """Columns read by a query become 'read by a query into <name>'; values the query
    only passed through (a parameter in `SELECT p INTO v`) keep their source."""
    if origins is None:
        return frozenset({Source(source_kind, name, lineno)})
    out = set()
    for o in origins:
        out.add(Source(source_kind, name, lineno, o.spliced) if o.kind == "column" else o)
    return frozenset(out)


_PIN_WRAPPERS = frozenset({"upper", "lower", "btrim", "trim", "ltrim", "rtrim"})


def _pin_ref(n):
    """(reference parts, exact) of `x`, `r.f` or `upper(x)`-like wrappers of them."""
    t, f = _unwrap(n)
    if t == "ColumnRef":
        fields = f.get("fields") or []
        if any("A_Star" in x for x in fields if type(x) is dict):
            return None, False
        return strings(fields), True
    if t == "FuncCall":
        name = strings(f.get("funcname"))
        args = f.get("args") or []
        if name and name[-1] in _PIN_WRAPPERS and len(args) == 1:
            ref, _ = _pin_ref(args[0])
            return ref, False
    if t == "TypeCast":
        return _pin_ref(f.get("arg"))
    return None, False


@lru_cache(maxsize=4096)
def _pins(condition: str, truth: bool) -> tuple:
    """_pinned() of a condition's text (cached: every IF is refined for each state)."""
    tree = parse_expression(condition) if condition else None
    if tree is None:
        return ()
    return tuple((tuple(ref), consts) for ref, consts in _pinned(tree, truth))


def _pinned(tree, truth: bool) -> list:
    """(reference, constants or None) of what condition ``tree`` pins to constants
    when it evaluates to ``truth``."""
    t, f = _unwrap(tree)
    if t == "BoolExpr":
        op = f.get("boolop")
        args = f.get("args") or []
        if op == "NOT_EXPR" and args:
            return _pinned(args[0], not truth)
        if (op == "AND_EXPR" and truth) or (op == "OR_EXPR" and not truth):
            return [p for a in args for p in _pinned(a, truth)]
        return []
    if t == "NullTest":
        is_null = f.get("nulltesttype") == "IS_NULL"
        if is_null == truth:
            ref, exact = _pin_ref(f.get("arg"))
            if ref:
                return [(ref, frozenset() if exact else None)]
        return []
    if t != "A_Expr":
        return []
    kind = f.get("kind")
    op = strings(f.get("name"))
    if kind == "AEXPR_OP" and op in (["="], ["<>"]) and (op == ["="]) == truth:
        for a, b in ((f.get("lexpr"), f.get("rexpr")), (f.get("rexpr"), f.get("lexpr"))):
            c = _const_string(b)
            ref, exact = _pin_ref(a)
            if ref and c is not None:
                return [(ref, frozenset({c}) if exact else None)]
        return []
    if kind == "AEXPR_IN" and (op == ["="]) == truth:
        items = (f.get("rexpr") or {}).get("List", {}).get("items") if type(f.get("rexpr")) is dict else None
        items = items if items is not None else f.get("rexpr") if type(f.get("rexpr")) is list else None
        if not items:
            return []
        consts = [_const_string(x) for x in items]
        ref, exact = _pin_ref(f.get("lexpr"))
        if ref and all(c is not None for c in consts):
            return [(ref, frozenset(consts) if exact else None)]
    return []


class _Eval:
    """Taint of one expression tree in one state."""

    def __init__(self, an: Analysis, state: dict, lineno: int) -> None:
        self.an = an
        self.state = state
        self.lineno = lineno
        # columns of the subqueries and functions in the FROM lists being evaluated:
        # one {alias: {column: taint}} per nesting level
        self.scopes: list[dict] = []

    def var(self, dnos, via, field=None) -> frozenset:
        out = set()
        for dno in dnos:
            taint = self.state.get(dno, EMPTY)
            if field is not None:
                taint = self.state.get(("f", dno, field), taint)
            elif self.an.datums[dno][0] == "PLpgSQL_rec":  # the whole record: every field
                for k, v in self.state.items():
                    if type(k) is tuple and k[0] == "f" and k[1] == dno:
                        taint = taint | v
            for s in taint:
                out.add((via, s))
        return frozenset(out)

    def ref(self, parts: list[str], star: bool) -> frozenset:
        names = self.an.names
        if parts and parts[0] in names:
            field = parts[1] if len(parts) >= 2 and not star else None
            return self.var(names[parts[0]], ".".join(parts) + (".*" if star else ""), field)
        if len(parts) >= 2 and parts[1] in names:  # label.var, function_name.param
            field = parts[2] if len(parts) >= 3 and not star else None
            return self.var(names[parts[1]], ".".join(parts), field)
        if not star and parts and parts[-1] in _CATALOG_SAFE_COLUMNS:
            return EMPTY
        if not star and parts:
            found = self.from_column(parts)
            if found is not None:
                return found
        col = ".".join(parts) + (".*" if star else "") if parts else "*"
        return frozenset({(None, Source("column", col))})

    def consts(self, n) -> frozenset | None:
        """The constant strings an expression may be (None: not a known constant)."""
        t, f = _unwrap(n)
        if t == "A_Const":
            if f.get("isnull"):
                return frozenset()
            v = const_value(n)
            return frozenset({v}) if isinstance(v, str) else None
        if t == "TypeCast":
            return self.consts(f.get("arg"))
        if t == "ColumnRef":
            parts = strings(f.get("fields"))
            dnos = self.an.names.get(parts[0]) if len(parts) == 1 else None
            if dnos and len(dnos) == 1:
                return self.state.get(("c", dnos[0]))
            return None
        if t == "A_Expr" and f.get("kind") == "AEXPR_OP" and strings(f.get("name")) == ["||"]:
            a, b = self.consts(f.get("lexpr")), self.consts(f.get("rexpr"))
            if a is None or b is None or len(a) * len(b) > _MAX_CONSTS:
                return None
            return frozenset(x + y for x in a for y in b)
        return None

    def partial(self, n) -> str:
        """The constant text of a || chain, its other pieces left out."""
        c = self.consts(n)
        if c is not None and len(c) == 1:
            return next(iter(c))
        t, f = _unwrap(n)
        if t == "A_Expr" and f.get("kind") == "AEXPR_OP" and strings(f.get("name")) == ["||"]:
            return self.partial(f.get("lexpr")) + self.partial(f.get("rexpr"))
        return ""

    def value(self, n) -> frozenset:
        t, f = _unwrap(n)
        if t is None:
            if type(n) is list:
                return self.union(n)
            return EMPTY
        h = getattr(self, "_" + t, None)
        if h is not None:
            return h(f)
        return self.union(f.values())

    def union(self, items) -> frozenset:
        out = EMPTY
        for x in items:
            if type(x) is dict:
                k, v = _unwrap(x)
                if k is not None and k[:1].isupper():
                    out = out | self.value(x)
                else:
                    out = out | self.union(x.values())
            elif type(x) is list:
                out = out | self.union(x)
        return out

    def _A_Const(self, f):
        return EMPTY

    def _ColumnRef(self, f):
        fields = f.get("fields") or []
        star = any("A_Star" in x for x in fields if type(x) is dict)
        return self.ref(strings(fields), star)

    def _ParamRef(self, f):
        i = f.get("number", 0) - 1
        if 0 <= i < len(self.an.params):
            return self.var([self.an.params[i]], f"${i + 1}")
        return EMPTY

    def _A_Expr(self, f):
        kind = f.get("kind")
        if kind == "AEXPR_OP":
            op = strings(f.get("name"))
            if op and op[-1] in _SAFE_OPS:
                return EMPTY
            taint = self.value(f.get("lexpr")) | self.value(f.get("rexpr"))
            return _splice(taint) if op == ["||"] else taint
        if kind == "AEXPR_NULLIF":
            return self.value(f.get("lexpr"))
        return EMPTY  # IN, LIKE, BETWEEN, DISTINCT, ANY/ALL: booleans

    def _A_Indirection(self, f):
        return self.value(f.get("arg"))  # subscripts and field names select from the value

    def _BoolExpr(self, f):
        return EMPTY

    def _NullTest(self, f):
        return EMPTY

    def _BooleanTest(self, f):
        return EMPTY

    def _SQLValueFunction(self, f):
        return EMPTY

    def _TypeCast(self, f):
        if _typename_is_safe(f.get("typeName")):
            return EMPTY
        return self.value(f.get("arg"))

    def _CaseExpr(self, f):
        out = self.value(f.get("defresult"))
        for w in f.get("args") or ():
            out = out | self.value((w.get("CaseWhen") or {}).get("result"))
        return out

    def _SubLink(self, f):
        if f.get("subLinkType") not in ("EXPR_SUBLINK", "ARRAY_SUBLINK"):
            return EMPTY  # EXISTS, IN, ANY, ALL: booleans
        t, sel = _unwrap(f.get("subselect"))
        if t != "SelectStmt":
            return EMPTY
        return self._SelectStmt(sel)

    def _SelectStmt(self, f):
        outs = self.select_outputs(f)
        if outs is None:
            return frozenset({(None, Source("column", "*"))})
        return frozenset().union(*(o for _, o in outs)) if outs else EMPTY

    def select_outputs(self, sel) -> list[tuple[str | None, frozenset]] | None:
        """(name, taint) of each output column of a SELECT (None for SELECT *)."""
        op = sel.get("op", "SETOP_NONE")
        if op in ("SETOP_EXCEPT", "SETOP_INTERSECT"):  # rows (values) of the left side only
            return self.select_outputs(sel.get("larg") or {})
        if op != "SETOP_NONE":
            left = self.select_outputs(sel.get("larg") or {})
            right = self.select_outputs(sel.get("rarg") or {})
            if left is None or right is None or len(left) != len(right):
                return None
            return [(a[0], a[1] | b[1]) for a, b in zip(left, right)]
        if sel.get("valuesLists"):
            rows = [(r.get("List") or {}).get("items") or [] for r in sel["valuesLists"]]
            width = max((len(r) for r in rows), default=0)
            return [(f"column{i + 1}", self.union([r[i] for r in rows if i < len(r)])) for i in range(width)]
        scope = self.from_scope(sel.get("fromClause"))
        self.scopes.append(scope)
        try:
            return self.target_outputs(sel.get("targetList"), (sel.get("fromClause"), scope))
        finally:
            self.scopes.pop()

    def from_column(self, parts: list[str]) -> frozenset | None:
        """Taint of a column of a subquery or function of an enclosing FROM list."""
        for scope in reversed(self.scopes):
            if len(parts) == 2 and parts[0] in scope:
                cols = scope[parts[0]]
                if parts[1] in cols:
                    return cols[parts[1]]
                return None
            if len(parts) == 1:
                for cols in scope.values():
                    if parts[0] in cols:
                        return cols[parts[0]]
        return None

    def from_scope(self, items) -> dict:
        """{alias: {column: taint}} of the subqueries and functions of a FROM list (tables
        are not there: their columns are data)."""
        scope: dict = {}
        for item in items or ():
            t, f = _unwrap(item)
            if t == "JoinExpr":
                scope.update(self.from_scope([f.get("larg"), f.get("rarg")]))
            elif t == "RangeSubselect":
                alias = f.get("alias") or {}
                sub = (f.get("subquery") or {}).get("SelectStmt")
                outs = self.select_outputs(sub) if sub else None
                if outs is None or not alias.get("aliasname"):
                    continue
                names = strings(alias.get("colnames")) or [c for c, _ in outs]
                scope[alias["aliasname"]] = {n: o for n, (_, o) in zip(names, outs) if n}
            elif t == "RangeFunction":
                funcs = f.get("functions") or []
                alias = f.get("alias") or {}
                if len(funcs) != 1:
                    continue
                call = ((funcs[0].get("List") or {}).get("items") or [None])[0]
                taint = self.value(call) if call else EMPTY
                fname = _column_name(call) if call else None
                aname = alias.get("aliasname") or fname
                cols = strings(alias.get("colnames")) or [aname or fname]
                if aname:
                    scope[aname] = {c: taint for c in cols if c}
        return scope

    def target_outputs(self, targets, source=None) -> list[tuple[str | None, frozenset]] | None:
        """(name, taint) of each output column; None when a * covers columns not known here
        (a table's). ``source``: (FROM list, its from_scope) of the SELECT, which a * expands
        to when every FROM item is a subquery or function whose columns are known (worked out
        at the first *: most SELECTs have none)."""
        outs = []
        star_scope = None
        for rt in targets or ():
            r = rt.get("ResTarget") or {}
            val = r.get("val")
            t, f = _unwrap(val)
            if t == "ColumnRef" and any("A_Star" in x for x in f.get("fields") or () if type(x) is dict):
                parts = strings(f.get("fields"))
                if parts and parts[0] in self.an.names:
                    outs.append((None, self.value(val)))
                    continue
                if star_scope is None and source is not None:
                    star_scope = _star_scope(*source)
                items = [cols for alias, cols in star_scope or () if not parts or parts[0] == alias]
                if star_scope is None or not items:
                    return None
                outs.extend((c, o) for cols in items for c, o in cols.items())
                continue
            outs.append((r.get("name") or _column_name(val), self.value(val)))
        return outs

    def _FuncCall(self, f):
        name = strings(f.get("funcname"))
        fn = name[-1].lower() if name else ""
        args = f.get("args") or []
        if fn in _SAFE_FUNCS:
            return EMPTY
        if fn == "format" and args:
            return self.format(args, bool(f.get("func_variadic")))
        if fn == "current_setting" and self.an.in_function:  # in a DO block the migration sets them
            what = _const_string(args[0]) if args else None
            return frozenset({(None, Source("setting", what or "current_setting()"))})
        if fn in _JOINING_FUNCS:
            return _splice(self.union(args))
        return self.union(args)

    def format(self, args, variadic) -> frozenset:
        """format(): %I and %L quote their argument, %s splices it as it is."""
        rest = args[1:]
        fmts = self.consts(args[0])
        out = EMPTY
        if fmts is None:  # a format built at run time: read the constant pieces
            out = self.value(args[0])
            fmts = frozenset({self.partial(args[0])})
        for fmt in fmts:
            convs = format_conversions(fmt)
            if convs is None:
                return out | _splice(self.union(rest))
            for i, conv in convs:
                if conv != "s":
                    continue
                if variadic and rest:
                    out = out | _splice(self.value(rest[-1]))
                elif 0 <= i < len(rest):
                    out = out | _splice(self.value(rest[i]))
        return out


def _star_scope(items, scope: dict) -> list | None:
    """[(alias, {column: taint})] of a FROM list in its order, when each item is a subquery
    or function of ``scope`` (what * expands to); None when one is a table, a join or not known."""
    out = []
    for item in items or ():
        t, f = _unwrap(item)
        alias = (f or {}).get("alias") or {}
        if t == "RangeSubselect":
            name, width = alias.get("aliasname"), _width((f.get("subquery") or {}).get("SelectStmt"))
        elif t == "RangeFunction":
            funcs = f.get("functions") or []
            call = ((funcs[0].get("List") or {}).get("items") or [None])[0] if len(funcs) == 1 else None
            fc = (call or {}).get("FuncCall") or {}
            fname = strings(fc.get("funcname"))[-1:]
            # one output column: unnest of one array, generate_series (others: not known here)
            one = (fname == ["unnest"] and len(fc.get("args") or ()) == 1) or fname == ["generate_series"]
            name, width = alias.get("aliasname") or (_column_name(call) if call else None), 1 if one else None
        else:
            return None  # a table, a join ...: columns not known here
        cols = scope.get(name) if name else None
        if cols is None or width is None or len(cols) != width:
            return None  # an output without a name, or more columns than the alias names
        out.append((name, cols))
    return out


def _width(sel) -> int | None:
    """How many columns a SELECT or VALUES returns, when its text tells (no *)."""
    if not sel:
        return None
    if sel.get("op", "SETOP_NONE") != "SETOP_NONE":
        return _width(sel.get("larg"))
    if sel.get("valuesLists"):
        return max(len((r.get("List") or {}).get("items") or ()) for r in sel["valuesLists"])
    targets = sel.get("targetList") or []
    for rt in targets:
        val = (rt.get("ResTarget") or {}).get("val") or {}
        if any("A_Star" in x for x in (val.get("ColumnRef") or {}).get("fields") or () if type(x) is dict):
            return None
    return len(targets)


def _column_name(val) -> str | None:
    """The name PostgreSQL gives an output column written without AS."""
    t, f = _unwrap(val)
    if t == "ColumnRef":
        parts = strings(f.get("fields"))
        return parts[-1] if parts else None
    if t == "FuncCall":
        name = strings(f.get("funcname"))
        return name[-1] if name else None
    if t == "TypeCast":
        inner = _column_name(f.get("arg"))
        if inner is not None:
            return inner
        names = strings((f.get("typeName") or {}).get("names"))
        return names[-1] if names else None
    if t == "A_Indirection":
        return _column_name(f.get("arg"))
    return None


# -- the rule -----------------------------------------------------------------------

_WHAT = {"execute": "EXECUTE", "return-query": "RETURN QUERY EXECUTE", "open": "OPEN ... FOR EXECUTE",
         "for": "FOR ... IN EXECUTE"}
_KEYWORDS = ("EXECUTE",)


@RULE.on("CreateFunctionStmt", "DoStmt")
def check(ctx, node):
    stmt = ctx.stmt
    if stmt.plpgsql is None or not stmt.dynamic_sql:
        return  # no dynamic SQL statement in the body: nothing to flag
    body = Body.of(stmt)
    try:
        findings = Analysis(stmt).run()
    except RecursionError:  # pathological nesting: not analysed
        return
    cursor: dict[int, int] = {}
    for fnd in findings:
        span = _locate(body, fnd, cursor) if body is not None else None
        if span is None:
            span = (stmt.start, stmt.end)

        def line_of(lineno, body=body):
            if body is None:
                return lineno
            return ctx.line_of(body.file_offset(body.line_offset(lineno)))

        ctx.report(_message(fnd, line_of), at=span, help=_help(fnd), explanation=_EXPLANATION)


def _locate(body: Body, fnd: Finding, cursor: dict) -> tuple[int, int] | None:
    at = body.find(fnd.query, fnd.lineno, cursor.get(fnd.lineno, 0))
    if at is None:
        ls = body.line_offset(fnd.lineno)
        le = body.text.find("\n", ls)
        le = len(body.text) if le < 0 else le
        return body.file_offset(ls), body.file_offset(le)
    end = at + len(fnd.query)
    cursor[fnd.lineno] = end
    kw = body.keyword_before(at, fnd.lineno, _KEYWORDS)
    start = kw if kw is not None else at
    return body.file_offset(start), body.file_offset(end)


def _message(fnd: Finding, line_of) -> str:
    """Name each tainted reference of the EXECUTE expression and where its value comes from."""
    by_via: dict = {}
    for via, src in sorted(fnd.taint, key=lambda x: (x[0] or "", x[1].lineno, x[1].kind, x[1].name)):
        by_via.setdefault(via, []).append(src)
    parts, names = [], []
    for via, srcs in by_via.items():
        for n in ([via] if via is not None else [s.name for s in srcs]):
            if f"`{n}`" not in names:
                names.append(f"`{n}`")
        if via is None or all(via.lower() == s.name.lower() for s in srcs):
            parts.extend(s.describe(line_of) for s in srcs)
        elif len(srcs) == 1 and via.lower().startswith(srcs[0].name.lower() + "."):
            parts.append(Source(srcs[0].kind, via, srcs[0].lineno).describe(line_of))  # a record's field
        else:
            inner = [s.describe(line_of) for s in srcs]
            if len(inner) > 2:
                inner = inner[:2] + [f"{len(inner) - 2} more"]
            parts.append(f"`{via}` (which holds {_and(inner)})")
    seen = []
    for p in parts:
        if p not in seen:
            seen.append(p)
    if len(seen) > 3:
        seen = seen[:3] + [f"{len(seen) - 3} more"]
    if len(names) > 3:
        names = names[:3] + [f"{len(names) - 3} more"]
    return fitted(f"{_WHAT[fnd.kind]} runs SQL built from {_and(seen)} without quoting",
                  f"{_WHAT[fnd.kind]} runs SQL built from {_and(names)} without quoting",
                  f"{_WHAT[fnd.kind]} runs SQL built from unquoted values")


_EXPLANATION = ("A value holding a quote or a semicolon changes the statement (SQL injection), and a name that needs "
                "quoting makes it fail.")


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _help(fnd: Finding) -> str:
    return ("Quote every value spliced into dynamic SQL: format('DELETE FROM %I.%I WHERE name = %L', schema_name, "
            "table_name, val) (%I quotes an identifier, %L a literal; %s quotes nothing), quote_ident() / "
            "quote_literal(), or a regclass (tbl::regclass); better still, pass values as parameters: "
            "EXECUTE format('DELETE FROM %I WHERE id = $1', table_name) USING id.")

"""security-definer-search-path: a SECURITY DEFINER function (or procedure) that does
not pin search_path, or pins one that does not end with pg_temp.

Checked at the end of the file, so that an ALTER FUNCTION ... SET search_path later in
the same file fixes the CREATE FUNCTION before it."""

from ..engine.registry import Rule
from ..model.nodes import const_value, strings

RULE = Rule(
    "PG502", "security-definer-search-path",
    summary="SECURITY DEFINER function without SET search_path ending in pg_temp",
    category="security",
)


def _flag(options, name: str):
    """True/False when a DefElem ``name`` sets a boolean, None when absent."""
    found = None
    for o in options or ():
        d = o.get("DefElem") if isinstance(o, dict) else None
        if d and d.get("defname") == name:
            arg = d.get("arg") or {}
            b = arg.get("Boolean")
            found = bool(b.get("boolval")) if b is not None else bool(const_value(arg))
    return found


def _search_path(options):
    """('missing' | 'current' | 'reset' | 'value', [schemas]) of the SET search_path option."""
    found = ("missing", [])
    for o in options or ():
        d = o.get("DefElem") if isinstance(o, dict) else None
        if not d or d.get("defname") != "set":
            continue
        vs = (d.get("arg") or {}).get("VariableSetStmt") or {}
        if (vs.get("name") or "").lower() != "search_path":
            continue
        kind = vs.get("kind")
        if kind == "VAR_SET_CURRENT":
            found = ("current", [])
        elif kind in ("VAR_SET_DEFAULT", "VAR_RESET", "VAR_RESET_ALL"):
            found = ("reset", [])
        else:
            schemas = []
            for a in vs.get("args") or ():
                v = const_value(a)
                schemas += schemas_of(str(v if v is not None else ""))
            found = ("value", schemas)
    return found


def schemas_of(value: str) -> list[str]:
    """The schemas of a search_path value ('pg_catalog, "my schema", pg_temp')."""
    out = []
    for part in value.split(","):
        part = part.strip()
        if part.startswith('"') and part.endswith('"') and len(part) >= 2:
            part = part[1:-1]
        if part:
            out.append(part)
    return out


def problem(kind: str, schemas: list[str], short: bool = False) -> str | None:
    """What is wrong with a function's search_path setting (None when it ends with
    pg_temp); also used by the pglint health check of the same name. ``short``: the few
    words for a finding's first line (the rest is its explanation)."""
    if kind == "value" and schemas and schemas[-1].lower() == "pg_temp":
        return None
    if short:
        shown = ", ".join(schemas) if schemas else "''"
        return {"missing": "has no SET search_path", "current": "sets search_path FROM CURRENT",
                "reset": "resets search_path to the default"}.get(kind) or (
            f"sets search_path = {shown} with pg_temp not last" if any(s.lower() == "pg_temp" for s in schemas)
            else f"sets search_path = {shown} without pg_temp")
    if kind == "missing":
        return ("has no SET search_path, so it resolves unqualified tables, functions and operators through the "
                "caller's search_path")
    if kind == "current":
        return ("sets search_path FROM CURRENT, a copy of the creating session's path that the file does not show "
                "(a session's path normally does not end with pg_temp)")
    if kind == "reset":
        return "resets search_path to the default, so it resolves unqualified names through the caller's search_path"
    shown = ", ".join(schemas) if schemas else "''"
    if any(s.lower() == "pg_temp" for s in schemas):
        return (f"sets search_path = {shown}, where pg_temp is not last: the caller's temporary tables and types are "
                "searched before the schemas that follow it")
    return (f"sets search_path = {shown} without pg_temp, and PostgreSQL then searches the caller's temporary "
            "schema first for tables and types")


def _key(names, args) -> tuple:
    return (tuple(n.lower() for n in names[-1:]), args)


def _argtypes(types) -> tuple | None:
    if types is None:
        return None
    out = []
    for t in types:
        tn = t.get("TypeName") if "TypeName" in t else t
        names = strings((tn or {}).get("names"))
        out.append((names[-1] if names else "?") + "[]" * len((tn or {}).get("arrayBounds") or ()))
    return tuple(out)


def _create_args(node) -> tuple:
    types = []
    for p in node.get("parameters") or ():
        fp = p.get("FunctionParameter") or {}
        if fp.get("mode") in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE"):
            continue
        types.append(fp.get("argType") or {})
    return _argtypes(types)


class _Fn:
    __slots__ = ("name", "kind", "definer", "path", "span", "index")

    def __init__(self, name, kind, definer, path, span, index):
        self.name, self.kind, self.definer, self.path, self.span, self.index = name, kind, definer, path, span, index


def _definer_span(ctx):
    return ctx.keyword_span(ctx.stmt.start, ctx.stmt.end, "DEFINER") or (ctx.stmt.start, ctx.stmt.end)


@RULE.on("CreateFunctionStmt")
def check_create(ctx, node):
    fns = ctx.rule_state().setdefault("functions", {})
    opts = node.get("options")
    kind = "procedure" if node.get("is_procedure") else "function"
    name = ".".join(strings(node.get("funcname")))
    fns[_key(strings(node.get("funcname")), _create_args(node))] = _Fn(
        name, kind, bool(_flag(opts, "security")), _search_path(opts), _definer_span(ctx), ctx.stmt.index)


@RULE.on("AlterFunctionStmt")
def check_alter(ctx, node):
    """ALTER FUNCTION ... SECURITY DEFINER / INVOKER / SET search_path on a function of
    this file (of a function created elsewhere the search_path is not known)."""
    fns = ctx.rule_state().setdefault("functions", {})
    func = node.get("func") or {}
    names = strings(func.get("objname"))
    args = None if func.get("args_unspecified") else _argtypes(func.get("objargs") or [])
    actions = node.get("actions")
    security = _flag(actions, "security")
    path = _search_path(actions)
    matches = [f for k, f in fns.items() if k[0] == _key(names, None)[0] and (args is None or k[1] == args)]
    if not matches and security and path[0] != "missing":
        kind = "procedure" if node.get("objtype") == "OBJECT_PROCEDURE" else "function"
        fns[_key(names, args)] = _Fn(".".join(names), kind, True, path, _definer_span(ctx), ctx.stmt.index)
        return
    for f in matches:
        if security is not None:
            f.definer = security
            if security:
                f.span, f.index = _definer_span(ctx), ctx.stmt.index
        if path[0] != "missing":
            f.path = path
            if f.definer and problem(*path) is not None:
                f.span, f.index = (ctx.stmt.start, ctx.stmt.end), ctx.stmt.index


@RULE.at_end
def finish(ctx):
    fns = ctx.rule_state().pop("functions", {})
    for f in sorted(fns.values(), key=lambda x: x.span):
        what = problem(*f.path) if f.definer else None
        if what is None:
            continue
        d = ctx.report(
            f"SECURITY DEFINER {f.kind} {f.name} {problem(*f.path, short=True)}",
            explanation=(f"It runs with its owner's privileges but {what}: a caller who can create objects in one of "
                         "those schemas (or a temporary table) can make it use theirs, with the owner's rights."),
            at=f.span,
            help=(f"Pin the path on the {f.kind}: SECURITY DEFINER SET search_path = pg_catalog, <the schemas it "
                  f"needs>, pg_temp (or ALTER {f.kind.upper()} {f.name}(...) SET search_path = ...), schema-qualify "
                  f"what it uses, and REVOKE EXECUTE ON {f.kind.upper()} {f.name}(...) FROM PUBLIC unless every "
                  "role may call it."),
        )
        if d is not None:
            d.statement = f.index  # suppressions on that statement apply

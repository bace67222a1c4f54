import json

from ..engine.registry import EVERYWHERE, Rule
from ._common import qname

RULE = Rule(
    "PG406", "duplicate-assignment",
    summary="The same column assigned twice in one UPDATE / ON CONFLICT DO UPDATE / MERGE, or listed twice in INSERT",
    category="queries", severity="error", scope=EVERYWHERE,
)


def _targets(targets):
    for t in targets or ():
        rt = t.get("ResTarget") if isinstance(t, dict) else None
        if rt and rt.get("name"):
            yield rt


def _check_set(ctx, targets, what: str, rv) -> None:
    """SET lists: PostgreSQL rejects two assignments to a column unless both go to
    subscripts or fields of it; to the same subscript or field, the last one wins."""
    seen: dict = {}
    for rt in _targets(targets):
        name = rt["name"]
        ind = rt.get("indirection")
        key = json.dumps(_without_locations(ind), sort_keys=True) if ind else None
        prev = seen.setdefault(name, [])
        if any(k is None for k in prev) or (prev and key is None):
            ctx.report(
                f"Column {name} is assigned twice in {what}, which PostgreSQL rejects",
                explanation=("PostgreSQL rejects the statement ('multiple assignments to same column')"
                             + (", so every call of the function fails." if ctx.stmt.origin == "function" else ".")),
                at=rt, relation=rv,
                help=f"Keep one assignment to {name} (combine the two expressions if both are needed).",
            )
        elif key in prev:
            ctx.report(
                f"{name}{_ind_text(ind)} is assigned twice in {what}: the second assignment silently overwrites the "
                "first",
                explanation="PostgreSQL applies both assignments in order, so the first one has no effect.",
                at=rt, relation=rv, severity="warning",
                help=f"Keep one assignment to {name}{_ind_text(ind)}.",
            )
        prev.append(key)


def _without_locations(n):
    if isinstance(n, dict):
        return {k: _without_locations(v) for k, v in n.items() if k != "location"}
    if isinstance(n, list):
        return [_without_locations(v) for v in n]
    return n


def _ind_text(ind) -> str:
    out = ""
    for i in ind or ():
        if "String" in i:
            out += "." + i["String"].get("sval", "")
        else:
            out += "[...]"
    return out


@RULE.on("UpdateStmt")
def check_update(ctx, node):
    rv = node.get("relation")
    _check_set(ctx, node.get("targetList"), f"UPDATE {qname(rv)}", rv)


@RULE.on("InsertStmt")
def check_insert(ctx, node):
    rv = node.get("relation")
    t = qname(rv)
    seen = set()
    for rt in _targets(node.get("cols")):
        if rt.get("indirection"):
            continue  # INSERT INTO t (arr[1], arr[2]) is fine
        name = rt["name"]
        if name in seen:
            ctx.report(
                f"Column {name} is listed twice in INSERT INTO {t}, which PostgreSQL rejects",
                explanation="PostgreSQL rejects the statement ('column ... specified more than once').",
                at=rt, relation=rv, help=f"List {name} once, with its value once.",
            )
        seen.add(name)
    oc = node.get("onConflictClause") or {}
    if oc.get("action") == "ONCONFLICT_UPDATE":
        _check_set(ctx, oc.get("targetList"), f"INSERT INTO {t} ... ON CONFLICT DO UPDATE", rv)


@RULE.on("MergeStmt")
def check_merge(ctx, node):
    rv = node.get("relation")
    for w in node.get("mergeWhenClauses") or ():
        mw = w.get("MergeWhenClause") or {}
        if mw.get("commandType") == "CMD_UPDATE":
            _check_set(ctx, mw.get("targetList"), f"MERGE INTO {qname(rv)} ... UPDATE SET", rv)

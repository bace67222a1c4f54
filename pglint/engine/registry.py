"""Rules: declarative metadata plus handlers, collected from ``pglint.rules``.

A rule module defines ``RULE = Rule(...)`` and registers plain functions on it:

    RULE = Rule("PG101", "index-not-concurrent", summary=..., category="locking")

    @RULE.on("IndexStmt")                 # top-level statement type
    def check(ctx, node): ...

    @RULE.on("*")                         # every statement (gets the Statement)
    def check_any(ctx, stmt): ...

    @RULE.on_node("A_Expr")               # any node of that type inside a statement
    def check_expr(ctx, node): ...

    @RULE.at_end                          # once per file, after the last statement
    def finish(ctx): ...

Handlers report through ``ctx.report(...)``; the engine walks each statement once and
calls only the handlers of enabled rules that declared interest in a node type.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from dataclasses import dataclass, field

from .diagnostics import SEVERITIES, WARNING

# Which statements a rule looks at.
EXECUTED = frozenset({"top", "do"})  # statements that run during the migration
EVERYWHERE = frozenset({"top", "do", "function"})  # also SQL inside function bodies

CATEGORIES = {
    "meta": "Meta",
    "locking": "Locking and rewrites",
    "compatibility": "Backward compatibility",
    "design": "Schema design",
    "queries": "Queries",
    "security": "Security",
    "history": "Migration history",
    "live": "Live database",
    "trace": "Trace",
}


@dataclass(eq=False)
class Rule:
    code: str
    name: str
    summary: str
    severity: str = WARNING
    category: str = "locking"
    default: bool = True
    scope: frozenset = EXECUTED
    fix: str = "never"  # never | sometimes | always
    statement_handlers: dict = field(default_factory=dict)
    node_handlers: dict = field(default_factory=dict)
    end_handlers: list = field(default_factory=list)
    # rules that run outside the statement engine (live, trace) have no handlers
    engine: bool = True

    def __post_init__(self) -> None:
        assert self.severity in SEVERITIES, self.severity
        assert self.category in CATEGORIES, self.category

    def on(self, *types: str):
        def deco(fn):
            for t in types:
                self.statement_handlers[t] = fn
            return fn

        return deco

    def on_node(self, *types: str):
        def deco(fn):
            for t in types:
                self.node_handlers[t] = fn
            return fn

        return deco

    def at_end(self, fn):
        self.end_handlers.append(fn)
        return fn

    @property
    def url(self) -> str:
        return f"{DOCS_URL}/{self.name}.md"


DOCS_URL = "https://github.com/pglint/pglint/blob/main/rules"

_RULES: dict[str, Rule] | None = None


def all_rules() -> dict[str, Rule]:
    """Every rule by name, in code order."""
    global _RULES
    if _RULES is None:
        import pglint.rules as pkg

        found: list[Rule] = []
        for info in pkgutil.iter_modules(pkg.__path__):
            if info.name.startswith("_"):
                continue
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            rule = getattr(mod, "RULE", None)
            if isinstance(rule, Rule):
                found.append(rule)
        found.sort(key=lambda r: r.code)
        rules = {r.name: r for r in found}
        codes = [r.code for r in found]
        assert len(set(codes)) == len(codes), "duplicate rule code"
        _RULES = rules
    return _RULES


def by_code() -> dict[str, Rule]:
    return {r.code: r for r in all_rules().values()}


class UnknownRule(ValueError):
    def __init__(self, token: str, suggestions: list[str]):
        self.token = token
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown rule '{token}'{hint}")


def resolve(token: str) -> list[Rule]:
    """Rules named by a selector: a rule name, a code, a code prefix (PG1), or ALL."""
    rules = all_rules()
    t = token.strip()
    if not t:
        return []
    if t.upper() == "ALL":
        return list(rules.values())
    if t in rules:
        return [rules[t]]
    codes = by_code()
    if t.upper() in codes:
        return [codes[t.upper()]]
    prefix = [r for r in rules.values() if r.code.startswith(t.upper())] if t.upper().startswith("PG") else []
    if prefix:
        return prefix
    pool = list(rules) + list(codes)
    raise UnknownRule(t, difflib.get_close_matches(t, pool, n=3, cutoff=0.5))


def split_selectors(values) -> list[str]:
    out = []
    for v in values or ():
        for part in str(v).split(","):
            part = part.strip()
            if part:
                out.append(part)
    return out


# Rules that keep every file accounted for: on unless ignored explicitly.
ALWAYS_ON = ("syntax-error", "unreadable-file", "function-body-error")


def select_rules(select=None, ignore=None, extend_select=None) -> set[str]:
    """Names of the enabled rules (raises UnknownRule)."""
    rules = all_rules()
    if select:
        chosen = {r.name for s in split_selectors(select) for r in resolve(s)}
        chosen.update(n for n in ALWAYS_ON if n in rules)
    else:
        chosen = {r.name for r in rules.values() if r.default}
    for s in split_selectors(extend_select):
        chosen.update(r.name for r in resolve(s))
    for s in split_selectors(ignore):
        for r in resolve(s):
            chosen.discard(r.name)
    return chosen

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
``Rule(..., needs=("null",))`` says what a file must hold for the rule to flag anything in
it (engine/prefilter.py): the engine skips the rule in other files.

Each rule's metadata and the node types it handles are also written down in
``pglint/rules/_index.py`` (generated: ``python -m pglint.engine.registry --write-index``;
a test checks it is current). The registry is built from that index without importing a
single rule module; a rule's module is imported only when the engine first meets a
statement the rule handles (``Rule.load``). So `pglint rules`, the reporters and a run
answered from the cache import no rule, and linting a small file imports only the rules
its statements can concern.
"""

from __future__ import annotations

import importlib
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
    # where the handlers live (pglint.rules.<module>), and the node types they handle as
    # the index declares them (statement types, "*" included; node types; at-end)
    # requirements a file must meet for the rule to have anything to flag in it (see
    # engine/prefilter.py): the engine skips the rule in other files
    needs: tuple = ()
    module: str = ""
    declared: tuple = ((), (), False)
    loaded: bool = True  # False for a rule built from the index until load() runs

    def __post_init__(self) -> None:
        assert self.severity in SEVERITIES, self.severity
        assert self.category in CATEGORIES, self.category
        if self.needs:
            from .prefilter import check_needs

            check_needs(self.needs)

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
        """The rule page without a configured ``docs-url`` (pglint.docs.rule_url)."""
        from ..docs import rule_url

        return rule_url(self.name)

    def handled(self) -> tuple:
        """(statement types, node types, has at-end handlers) of the loaded handlers."""
        return (tuple(sorted(self.statement_handlers)), tuple(sorted(self.node_handlers)),
                bool(self.end_handlers))

    def load(self) -> "Rule":
        """Import the rule's module and take its handlers (once)."""
        if not self.loaded:
            mod = importlib.import_module(f"{_PACKAGE}.{self.module}")
            real = getattr(mod, "RULE", None)
            if (not isinstance(real, Rule) or real.name != self.name or real.handled() != self.declared
                    or tuple(real.needs) != tuple(self.needs)):
                raise RuntimeError(f"pglint/rules/_index.py is out of date for {self.name}: run "
                                   "python -m pglint.engine.registry --write-index")
            self.statement_handlers = real.statement_handlers
            self.node_handlers = real.node_handlers
            self.end_handlers = real.end_handlers
            self.loaded = True
        return self


DOCS_URL = "https://github.com/pglint/pglint/blob/main/rules"
_PACKAGE = "pglint.rules"

_RULES: dict[str, Rule] | None = None


def all_rules() -> dict[str, Rule]:
    """Every rule by name, in code order (built from the index; no rule module imported)."""
    global _RULES
    if _RULES is None:
        try:
            from ..rules._index import RULES as index
        except ImportError:  # a checkout without the generated index: import every module
            index = None
        found = [_from_index(e) for e in index] if index is not None else imported_rules()
        found.sort(key=lambda r: r.code)
        codes = [r.code for r in found]
        assert len(set(codes)) == len(codes), "duplicate rule code"
        _RULES = {r.name: r for r in found}
    return _RULES


def imported_rules() -> list[Rule]:
    """Every rule, by importing every module of pglint.rules (the source of the index)."""
    import pkgutil

    import pglint.rules as pkg

    found: list[Rule] = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        rule = getattr(mod, "RULE", None)
        if isinstance(rule, Rule):
            rule.module = info.name
            rule.declared = rule.handled()
            found.append(rule)
    return sorted(found, key=lambda r: r.code)


_INDEX_FIELDS = ("code", "name", "summary", "severity", "category", "default", "scope", "fix", "engine",
                 "needs", "module", "declared")


def _from_index(entry: tuple) -> Rule:
    kw = dict(zip(_INDEX_FIELDS, entry))
    kw["scope"] = frozenset(kw["scope"])
    r = Rule(**kw)
    r.loaded = not r.engine  # live and trace rules have no handlers to load
    return r


def index_text() -> str:
    """The text of pglint/rules/_index.py, from the rule modules."""
    lines = ['"""Generated by `python -m pglint.engine.registry --write-index`: every rule\'s metadata and',
             "the node types its handlers take, so that the registry needs no rule module imported.",
             'Do not edit; tests/test_rule_docs.py checks it is current."""', "",
             f"# fields: {', '.join(_INDEX_FIELDS)}", "RULES = ("]
    for r in imported_rules():
        entry = (r.code, r.name, r.summary, r.severity, r.category, r.default, tuple(sorted(r.scope)), r.fix,
                 r.engine, tuple(r.needs), r.module, r.handled())
        lines.append(f"    {entry!r},")
    lines.append(")")
    return "\n".join(lines) + "\n"


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
    import difflib

    pool = list(rules) + list(codes)
    raise UnknownRule(t, difflib.get_close_matches(t, pool, n=3, cutoff=0.5))


def ignored_for(settings, path: str) -> set[str]:
    """The names of the rules the config's per-file-ignores turn off for ``path``."""
    names: set[str] = set()
    if settings.per_file_ignores:
        for tok in settings.ignored_for(path):
            try:
                names.update(r.name for r in resolve(tok))
            except UnknownRule:
                pass
    return names


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


if __name__ == "__main__":
    import sys
    from pathlib import Path

    from pglint.engine import registry  # the module itself: this file runs as __main__

    target = Path(__file__).resolve().parent.parent / "rules" / "_index.py"
    if sys.argv[1:] == ["--write-index"]:
        target.write_text(registry.index_text(), encoding="utf-8")
        print(f"wrote {target}")
    elif sys.argv[1:] == ["--check-index"]:
        sys.exit(0 if target.read_text(encoding="utf-8") == registry.index_text() else 1)
    else:
        sys.exit("usage: python -m pglint.engine.registry --write-index | --check-index")

"""Every rule page in rules/ is also a test: each ```sql bad block must raise exactly its
rule, each ```sql good block must raise nothing at all (every default rule on)."""

import re
from pathlib import Path

import pytest

from conftest import ROOT, lint
from pglint.engine.registry import all_rules

RULES_DIR = ROOT / "rules"
FENCE = re.compile(r"^```sql[ \t]+(bad|good)([^\n]*)\n(.*?)^```", re.S | re.M)


def _options(info: str) -> dict:
    opts = {}
    for tok in info.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            opts[k] = {"true": True, "false": False}.get(v, v)
        else:
            opts[tok] = True
    return opts


def _examples():
    for page in sorted(RULES_DIR.glob("*.md")):
        if page.name == "README.md":
            continue
        text = page.read_text(encoding="utf-8")
        for n, m in enumerate(FENCE.finditer(text), 1):
            kind, info, code = m.group(1), m.group(2), m.group(3)
            line = text.count("\n", 0, m.start()) + 1
            yield pytest.param(page.stem, kind, _options(info), code, id=f"{page.stem}:{line}:{kind}")


@pytest.mark.parametrize("rule,kind,options,code", list(_examples()))
def test_example(rule, kind, options, code):
    r = all_rules()[rule]
    if not r.default:  # opt-in rules are switched on for their own examples
        options["extend-select"] = [rule]
    schema = None
    if options.pop("complete-history", False):  # as if the whole history were this file
        from pglint.model.schema import SchemaModel

        schema = SchemaModel()
    diags = lint(code, "example.sql", schema=schema, **options)
    fired = sorted({d.rule for d in diags})
    detail = "\n".join(f"  {d.line}:{d.column} {d.rule}: {d.message}" for d in diags)
    if kind == "bad":
        assert fired == [rule], f"bad example of {rule} raised {fired}:\n{detail}"
    else:
        assert fired == [], f"good example of {rule} raised {fired}:\n{detail}"


def test_every_rule_has_a_page_and_every_page_a_rule():
    pages = {p.stem for p in RULES_DIR.glob("*.md")} - {"README"}
    rules = set(all_rules())
    assert rules - pages == set(), "rules without a page"
    assert pages - rules == set(), "pages without a rule"


@pytest.mark.parametrize("name", sorted(all_rules()))
def test_page_has_examples_and_title(name):
    text = (RULES_DIR / f"{name}.md").read_text(encoding="utf-8")
    rule = all_rules()[name]
    assert text.startswith(f"# {name} ({rule.code})\n")
    kinds = {m.group(1) for m in FENCE.finditer(text)}
    # no SQL can show an unreadable file; rules outside the statement engine (engine=False:
    # trace, live) show plain ```sql examples, which the linter does not run
    if name != "unreadable-file" and rule.engine:
        assert kinds == {"bad", "good"}, f"{name}: needs a bad and a good example"


def test_rules_index_is_up_to_date():
    from pglint.cli.rules_cmd import rules_markdown

    committed = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "rules/README.md is stale: run `pglint rules --format markdown > rules/README.md`"

"""Every rule page in rules/ is also a test: each ```sql bad block must raise exactly its
rule, each ```sql good block must raise nothing at all (every default rule on). The rules
on Python code (pglint/python) have ```python bad / good blocks, linted as a .py file with
the python option on."""

import re

import pytest

from conftest import ROOT, lint
from pglint.engine.registry import all_rules

RULES_DIR = ROOT / "rules"
FENCE = re.compile(r"^```sql[ \t]+(bad|good)([^\n]*)\n(.*?)^```", re.S | re.M)
PY_FENCE = re.compile(r"^```python[ \t]+(bad|good)([^\n]*)\n(.*?)^```", re.S | re.M)


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
        for fence, lang in ((FENCE, "sql"), (PY_FENCE, "python")):
            for m in fence.finditer(text):
                kind, info, code = m.group(1), m.group(2), m.group(3)
                line = text.count("\n", 0, m.start()) + 1
                options = _options(info)
                if lang == "python":
                    options["python"] = True
                yield pytest.param(page.stem, kind, options, code, id=f"{page.stem}:{line}:{kind}")


@pytest.mark.parametrize("rule,kind,options,code", list(_examples()))
def test_example(rule, kind, options, code):
    r = all_rules()[rule]
    if not r.default:  # opt-in rules are switched on for their own examples
        options["extend-select"] = [rule]
    schema = None
    if options.pop("complete-history", False):  # as if the whole history were this file
        from pglint.model.schema import SchemaModel

        schema = SchemaModel()
    path = "example.py" if options.get("python") else "example.sql"
    diags = lint(code, path, schema=schema, **options)
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
    py_kinds = {m.group(1) for m in PY_FENCE.finditer(text)}
    if py_kinds:  # a rule on Python code: its examples are Python modules
        assert kinds == set() and py_kinds == {"bad", "good"}, f"{name}: needs a python bad and good example"
    elif not rule.engine:
        # evaluated outside the statement engine (live, trace): no file alone can show it,
        # so plain ```sql examples (covered by tests against a real server) instead
        assert kinds == set(), f"{name}: bad/good examples cannot run without a database"
        assert re.search(r"^```sql\n", text, re.M), f"{name}: needs a plain ```sql example"
    elif name != "unreadable-file":  # no SQL can show an unreadable file
        assert kinds == {"bad", "good"}, f"{name}: needs a bad and a good example"


def test_rules_index_is_up_to_date():
    from pglint.cli.rules_cmd import rules_markdown

    committed = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "rules/README.md is stale: run `pglint rules --format markdown > rules/README.md`"


@pytest.mark.parametrize("rule", sorted(all_rules().values(), key=lambda r: r.code), ids=lambda r: r.name)
def test_page_says_whether_the_rule_has_a_fix(rule):
    """The header's **Fix:** matches the rule, and a rule with fixes says on its page what
    --fix does (a ## Fix section)."""
    text = (RULES_DIR / f"{rule.name}.md").read_text(encoding="utf-8")
    header = text.split("\n")[2]
    if rule.fix == "never":
        assert "**Fix:** never" in header or "**Fix:**" not in header
        assert "\n## Fix\n" not in text
    else:
        assert f"**Fix:** {rule.fix}" in header
        section = text.split("\n## Fix\n", 1)[1].split("\n## ", 1)[0]
        assert "--fix" in section


def test_rules_whose_examples_get_fixes_declare_them():
    """A rule whose bad examples come with a fix (of any applicability) is not 'never'."""
    for page in sorted(RULES_DIR.glob("*.md")):
        rule = all_rules().get(page.stem)
        if rule is None or not rule.engine:
            continue
        for m in FENCE.finditer(page.read_text(encoding="utf-8")):
            if m.group(1) != "bad":
                continue
            options = _options(m.group(2))
            options.pop("complete-history", None)
            if not rule.default:
                options["extend-select"] = [rule.name]
            if any(d.fix is not None for d in lint(m.group(3), "example.sql", **options) if d.rule == rule.name):
                assert rule.fix != "never", rule.name


def test_rule_index_is_current():
    """pglint/rules/_index.py (the registry's source, so that no rule module is imported
    until a statement needs it) matches the rule modules."""
    from pglint.engine.registry import imported_rules, index_text

    text = (ROOT / "pglint" / "rules" / "_index.py").read_text(encoding="utf-8")
    assert text == index_text(), "run: python -m pglint.engine.registry --write-index"
    indexed = all_rules()
    for rule in imported_rules():
        r = indexed[rule.name]
        assert (r.code, r.summary, r.severity, r.category, r.default, r.scope, r.fix, r.engine) == \
            (rule.code, rule.summary, rule.severity, rule.category, rule.default, rule.scope, rule.fix, rule.engine)


def test_rules_are_imported_only_when_a_statement_needs_them():
    """Linting an ALTER TABLE imports the rules that handle ALTER TABLE (and those that see
    every statement), not the rules of statements the file does not hold."""
    import subprocess
    import sys

    code = ("import sys; from conftest import lint; lint('ALTER TABLE t ADD COLUMN c int;'); "
            "print(' '.join(m for m in sys.modules if m.startswith('pglint.rules.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "tests",
                         check=True).stdout.split()
    assert "pglint.rules.add_column_required" in out  # handles AlterTableStmt
    assert "pglint.rules.statements_after_exclusive_lock" in out  # sees every statement
    assert "pglint.rules.identifier_too_long" not in out  # needs a name over 63 bytes (prefilter)
    assert "pglint.rules.index_not_concurrent" not in out  # IndexStmt only
    assert "pglint.rules.dynamic_sql_injection" not in out  # function bodies only

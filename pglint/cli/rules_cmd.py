"""``pglint rules`` (the catalogue) and ``pglint rule NAME`` (one rule's page)."""

from __future__ import annotations

import sys

import click

from . import cli


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
def rules(fmt):
    """List every rule: code, name, severity, default on/off, summary."""
    from ..engine.registry import CATEGORIES, all_rules

    rs = list(all_rules().values())
    if fmt == "markdown":
        sys.stdout.write(rules_markdown())
        return 0
    if fmt == "json":
        import json

        json.dump([{"code": r.code, "name": r.name, "severity": r.severity, "default": r.default,
                    "category": r.category, "fix": r.fix, "summary": r.summary, "url": r.url} for r in rs],
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    w = max(len(r.name) for r in rs)
    for cat, title in CATEGORIES.items():
        group = [r for r in rs if r.category == cat]
        if not group:
            continue
        click.echo(f"{title}:")
        for r in group:
            on = "on " if r.default else "off"
            click.echo(f"  {r.code}  {r.name:<{w}}  {r.severity:<7}  {on}  {r.summary}")
        click.echo()
    return 0


@cli.command("rule")
@click.argument("name")
def rule(name):
    """Print a rule's documentation page (name or code)."""
    from ..docs import rule_page
    from ..engine.registry import UnknownRule, resolve

    try:
        found = resolve(name)
    except UnknownRule:
        raise click.UsageError(unknown_rule_message(name)) from None
    if len(found) != 1:
        raise click.UsageError(f"'{name}' names {len(found)} rules; give one name or code")
    r = found[0]
    page = rule_page(r.name)
    if page is None:
        click.echo(f"{r.name} ({r.code}): {r.summary}")
        return 0
    click.echo(page)
    return 0


def closest_rules(name: str, n: int = 3) -> list[str]:
    """The rule names closest to ``name``: by similarity (difflib) of names and codes, then
    names that share a word with it; always some, so that a user who mistyped gets a lead."""
    import difflib

    from ..engine.registry import all_rules

    rules = all_rules()
    names = list(rules)
    token = name.strip().lower()
    by_code = {r.code.lower(): r.name for r in rules.values()}
    out = [by_code.get(x, x) for x in difflib.get_close_matches(token, names + list(by_code), n=n, cutoff=0.5)]
    words = [w for w in token.replace("_", "-").split("-") if len(w) > 2]
    out += [r for r in names if any(w in r for w in words)]
    if not out:
        out = sorted(names, key=lambda r: -difflib.SequenceMatcher(None, token, r).ratio())
    return list(dict.fromkeys(out))[:n]


def unknown_rule_message(name: str) -> str:
    near = closest_rules(name)
    return (f"unknown rule '{name}'; the closest: {', '.join(near)} "
            "(`pglint rules` lists every rule)")


def rules_markdown() -> str:
    """rules/README.md, rendered from the registry with a jinja2 template."""
    import jinja2

    from ..engine.registry import CATEGORIES, all_rules

    try:
        from ..engine.squawk_compat import SQUAWK_TO_PGLINT
    except ImportError:  # pragma: no cover
        SQUAWK_TO_PGLINT = {}
    rs = list(all_rules().values())
    cats = [(c, t, [r for r in rs if r.category == c]) for c, t in CATEGORIES.items()]
    cats = [c for c in cats if c[2]]
    env = jinja2.Environment(loader=jinja2.PackageLoader("pglint", "templates"), keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    by_name = {r.name: r for r in rs}
    squawk = sorted((s, [n + (" (opt-in)" if n in by_name and not by_name[n].default else "") for n in names])
                    for s, names in SQUAWK_TO_PGLINT.items())
    from ..engine.atlas_compat import ATLAS_ANALYZERS, ATLAS_TO_PGLINT, ATLAS_UNMAPPED

    atlas = sorted((c, names) for c, names in ATLAS_TO_PGLINT.items())
    analyzers = sorted((a, codes) for a, codes in ATLAS_ANALYZERS.items())
    return env.get_template("rules_index.md.j2").render(rules=rs, categories=cats, squawk=squawk, atlas=atlas,
                                                        atlas_analyzers=analyzers,
                                                        atlas_unmapped=sorted(ATLAS_UNMAPPED))

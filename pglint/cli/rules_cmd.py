"""``pglint rules`` (the catalogue) and ``pglint rule NAME`` (one rule's page)."""

from __future__ import annotations

import json
import sys

import click

from . import cli


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def rules(fmt):
    """List every rule: code, name, severity, default on/off, summary."""
    from ..engine.registry import CATEGORIES, all_rules

    rs = list(all_rules().values())
    if fmt == "json":
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
    except UnknownRule as exc:
        raise click.UsageError(str(exc)) from None
    if len(found) != 1:
        raise click.UsageError(f"'{name}' names {len(found)} rules; give one name or code")
    r = found[0]
    page = rule_page(r.name)
    if page is None:
        click.echo(f"{r.name} ({r.code}): {r.summary}")
        return 0
    click.echo(page)
    return 0

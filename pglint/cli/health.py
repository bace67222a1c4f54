"""``pglint health --dsn URL``: a database-wide report (pghero-like), one diagnostic per finding."""

from __future__ import annotations

import time

import click

from ..reporters import FORMATS
from . import cli


@cli.command("health", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dsn", metavar="URL", default=None,
              help="The database (default PGLINT_DSN, else the libpq PG* variables).")
@click.option("--select", multiple=True, metavar="RULES", help="Only these checks (names or codes, comma separated).")
@click.option("--ignore", multiple=True, metavar="RULES", help="Turn these checks off.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None, help="Output format (default full).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: nearest pglint.toml or pyproject.toml).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("--color/--no-color", default=None, help="Force colours on or off.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line.")
def health(dsn, select, ignore, fmt, output_file, exit_zero, config_path, isolated, color, quiet):
    """Check a live database: unused, duplicate and invalid indexes, unindexed foreign keys,
    sequences and transaction IDs near their limits, bloat, slow queries, cache hit ratio,
    long and idle-in-transaction sessions, tables without a primary key, SECURITY DEFINER
    functions without search_path. Reads only; every query runs in a read-only transaction."""
    from ..config.settings import load_settings
    from ..engine.registry import UnknownRule
    from ..engine.runner import make_options
    from ..live.config import live_config
    from ..live.dsn import resolve_dsn
    from .check import _multi

    settings, extras = load_settings(config_path, isolated)
    over = {}
    if select:
        over["select"] = _multi(select)
    if ignore:
        over["ignore"] = settings.ignore + _multi(ignore)
    settings = settings.with_overrides(**over)
    cfg = live_config(extras.get("live"), settings.config_path)
    try:
        opts = make_options(settings)
    except UnknownRule as exc:
        raise click.UsageError(str(exc)) from None
    # the health checks report under live rules and under the static rules whose names they
    # share (unindexed-foreign-key, missing-primary-key, security-definer-search-path)
    enabled = set(opts.enabled)
    from ..live.health import Health, health_result
    from ..live.session import LiveError, Session

    started = time.perf_counter()
    try:
        with Session.connect(resolve_dsn(dsn) or "", cfg) as session:
            checks = Health(session, cfg, settings, enabled)
            diags = checks.run()
            path = session.display
    except LiveError as exc:
        raise click.ClickException(str(exc)) from None
    # each finding is located at its database object (postgresql://host:port/db?table=...)
    result = health_result(path, diags, checks.checks_run, time.perf_counter() - started, settings)
    from ..reporters import get

    reporter = get(fmt or "full")
    options = {"color": color, "quiet": quiet}
    from .output import emit

    emit(output_file, lambda out: reporter.render(result, out, options))
    if exit_zero:
        return 0
    return 1 if diags else 0

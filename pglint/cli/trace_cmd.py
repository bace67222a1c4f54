"""``pglint trace``: run the migrations in a throwaway PostgreSQL and report what really
locks and rewrites. psycopg and the trace machinery are imported only when it runs."""

from __future__ import annotations

import sys

import click

from ..reporters import FORMATS
from . import cli


@cli.command("trace", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--dsn", metavar="DSN",
              help="Use this PostgreSQL server (libpq connection string or URL) instead of a temporary cluster; "
                   "trace creates and drops a scratch database of its own on it.")
@click.option("--pg-bin", type=click.Path(file_okay=False), metavar="DIR",
              help="Directory holding initdb and pg_ctl for the temporary cluster (default: PATH, pg_config "
                   "--bindir, /usr/lib/postgresql/*/bin).")
@click.option("--changed-since", metavar="REV",
              help="Trace only files added or modified since this git revision (earlier files are replayed).")
@click.option("--seed-rows", type=click.IntRange(min=0), default=0, metavar="N",
              help="Fill every table that exists before a traced file (once per table) with N generated rows.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="full",
              help="full: a table per statement and the diagnostics; json: statements and diagnostics; "
                   "others: the diagnostics as `pglint check` prints them.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--assume-in-transaction/--no-assume-in-transaction", default=None,
              help="Every file runs inside one transaction (on) or statement by statement (off), whatever its "
                   "layout; default: as the layout's tool runs it (--explain-order shows how).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: nearest pglint.toml or pyproject.toml).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("--color/--no-color", default=None, help="Force colours on or off.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line.")
def trace(paths, dsn, pg_bin, changed_since, seed_rows, fmt, output_file, assume_in_transaction, exit_zero,
          config_path, isolated, color, quiet):
    """Run migrations in a throwaway PostgreSQL and report the locks and rewrites that really happen.

    The migration history is replayed in order in a scratch database (a temporary cluster
    unless --dsn is given); each statement of the files being checked is traced: the
    relation locks it took, the tables and indexes it rewrote, the columns and constraints
    it changed, the lock_timeout in force and its duration. The static lock model is
    checked against what PostgreSQL did (static-trace-disagreement).
    """
    from ..config.settings import load_settings
    from ..engine.registry import UnknownRule
    from ..source.files import UsageError

    settings, _extras = load_settings(config_path, isolated)
    if assume_in_transaction is not None:
        settings = settings.with_overrides(assume_in_transaction=assume_in_transaction)
    paths = list(paths) or ["."]
    if "-" in paths:
        raise click.UsageError("trace runs migration files; it does not read stdin")
    changed = None
    if changed_since:
        from .history import changed_since as _changed

        changed = _changed(changed_since)
    import signal

    from ..trace.cluster import ClusterError
    from ..trace.run import run_trace

    progress = _progress() if sys.stderr.isatty() and not quiet else None
    old_term = _term_as_interrupt()
    try:
        result = run_trace(paths, settings, dsn=dsn, pg_bin=pg_bin, changed=changed, seed_rows=seed_rows,
                           progress=progress)
    except ClusterError as exc:
        _clear_progress(progress)
        click.echo(f"pglint: error: {exc}", err=True)
        return 2
    except (UnknownRule, UsageError) as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        signal.signal(signal.SIGTERM, old_term)
    _clear_progress(progress)
    options = {"color": color, "quiet": quiet}
    from .output import emit

    emit(output_file, lambda out: _render(result, fmt, out, options))
    if exit_zero:
        return 0
    return 1 if result.diagnostics else 0


def _render(result, fmt, out, options) -> None:
    from ..trace import report

    if fmt == "json":
        report.render_json(result, out)
    elif fmt == "full":
        report.render_full(result, out, options)
    else:
        from ..reporters import get

        get(fmt).render(report.as_run_result(result), out, options)


def _term_as_interrupt():
    """SIGTERM ends the trace like Ctrl-C: the temporary cluster and databases are removed."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return signal.getsignal(signal.SIGTERM)


class _progress:
    """One status line on a terminal: the file being traced."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, ft) -> None:
        self.n += 1
        what = "traced" if ft.traced else "replayed"
        line = f"pglint trace: {self.n} files ({what} {ft.path})"
        sys.stderr.write("\r" + line[:120].ljust(120))
        sys.stderr.flush()


def _clear_progress(progress) -> None:
    if progress is not None and progress.n:
        sys.stderr.write("\r" + " " * 120 + "\r")
        sys.stderr.flush()

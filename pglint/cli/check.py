"""``pglint check``: lint files, directories, globs or stdin."""

from __future__ import annotations

import os
import sys
import time

import click

from ..reporters import FORMATS
from . import cli


def _multi(values) -> list[str]:
    out = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


@cli.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option("--select", multiple=True, metavar="RULES", help="Only these rules (names or codes, comma separated).")
@click.option("--ignore", multiple=True, metavar="RULES", help="Turn these rules off.")
@click.option("--extend-select", multiple=True, metavar="RULES", help="Turn these rules on in addition (opt-in rules).")
@click.option("--pg-version", metavar="N", help="Target PostgreSQL version, e.g. 15 or 11.0 (default 15).")
@click.option("--assume-in-transaction/--no-assume-in-transaction", default=None,
              help="Every file runs inside one transaction (on) or statement by statement (off), whatever its "
                   "layout; default: as the layout's tool runs it (--explain-order shows how).")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None, help="Output format (default full).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--stdin-filename", metavar="PATH", help="Name used for input read from stdin (-).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: nearest pglint.toml or pyproject.toml).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("--exclude", multiple=True, metavar="GLOBS",
              help="Skip files and directories matching these globs, in addition to the exclude config key.")
@click.option("-j", "--jobs", type=click.IntRange(min=0, max=1024), default=None,
              help="Parallel workers (0: one per CPU, at most 1024).")
@click.option("--color/--no-color", default=None, help="Force colours on or off.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line (full: no advice after it), no progress bar.")
@click.option("-v", "--verbose", is_flag=True, help="Also print where the time went (startup, reading, parsing, "
                                                     "history, rules, output) after the summary.")
@click.option("--summary-first/--no-summary-first", default=None,
              help="Full format: the per-rule table, then one line per finding grouped by rule (default when the "
                   "report would pass summary-first-threshold lines and a directory was given).")
@click.option("--group-by", type=click.Choice(["rule", "file"]), default=None,
              help="Summary-first layout: group the findings by rule (default) or by file.")
@click.option("--max-per-rule", type=click.IntRange(min=0), default=None, metavar="N",
              help="Summary-first layout: list at most N findings per rule (0: all, the default).")
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of each diagnostic.")
@click.option("--changed-since", metavar="REV",
              help="Report only files added or modified since this git revision (the history is still replayed).")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Schema dump (pg_dump -s, structure.sql) to start from.")
@click.option("--python/--no-python", "python", default=None,
              help="Also lint the SQL inside Python code (*.py files; config key python).")
@click.option("--history/--no-history", default=True,
              help="Replay migration directories as one ordered history (default on).")
@click.option("--explain-order", is_flag=True, help="Print each detected migration layout and its order, then exit.")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True,
              help="Apply safe fixes and also those that change behaviour (implies --fix; with --diff: show them).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff; change nothing (exit 1 if any).")
@click.option("--add-ignore", is_flag=True, help="Write a pglint: ignore comment above every current finding.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Where the result cache lives (default .pglint_cache).")
@click.option("--dsn", metavar="URL", default=None,
              help="Live mode: also check against this PostgreSQL (default PGLINT_DSN; '' uses the libpq PG* variables).")
@click.option("--analyze", is_flag=True,
              help="Live mode: EXPLAIN (ANALYZE, BUFFERS) read-only queries, in transactions that are rolled back.")
def check(paths, select, ignore, extend_select, pg_version, assume_in_transaction, fmt, output_file,
          stdin_filename, exit_zero, config_path, isolated, exclude, jobs, color, quiet, verbose, summary_first,
          group_by, max_per_rule, changed_since, baseline, history, explain_order, no_cache, cache_dir, statistics,
          dsn, analyze, fix, unsafe_fixes, show_diff, add_ignore, python):
    """Lint SQL files, directories (walked for *.sql; with --python also *.py, whose SQL
    strings are read), globs, or - for stdin."""
    from ..config.settings import ConfigError, load_settings, parse_pg_version
    from ..engine.registry import UnknownRule
    from ..engine.runner import run_paths
    from ..source.files import UsageError
    from .timing import START

    settings, extras = load_settings(config_path, isolated)
    over = {}
    if select:
        over["select"] = _multi(select)
    if ignore:
        over["ignore"] = settings.ignore + _multi(ignore)
    if extend_select:
        over["extend_select"] = settings.extend_select + _multi(extend_select)
    if exclude:
        over["exclude"] = settings.exclude + _multi(exclude)
    if pg_version is not None:
        try:
            over["pg_version"] = parse_pg_version(pg_version)
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint="--pg-version") from None
    if assume_in_transaction is not None:
        over["assume_in_transaction"] = assume_in_transaction
    if jobs is not None:
        over["jobs"] = jobs
    if baseline is not None:
        over["baseline"] = baseline
    if cache_dir is not None:
        over["cache_dir"] = cache_dir
    if python is not None:
        over["python"] = python
    settings = settings.with_overrides(**over)
    paths = list(paths) or ["."]
    if explain_order:
        from .history import explain_order as _explain

        try:
            return _explain(paths, settings)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from None
    changed = None
    if changed_since:
        from .history import changed_since as _changed

        changed = _changed(changed_since)
    from .output import Output  # format, --statistics, GitHub annotations, progress bar

    named_files = all(p == "-" or not os.path.isdir(p) for p in paths)
    output = Output(fmt, statistics, quiet, color, verbose=verbose,
                    layout=dict(summary_first=summary_first, group_by=group_by, max_per_rule=max_per_rule,
                                threshold=settings.summary_first_threshold, named_files=named_files))
    stdin_bytes = sys.stdin.buffer.read() if "-" in paths else None
    # live mode (pglint/live), only when asked for (its config table is validated when the
    # config file is read, whatever the command)
    from ..live.dsn import resolve_dsn

    dsn = resolve_dsn(dsn)
    progress = output.progress()
    lint_began = time.perf_counter()
    try:
        if dsn is not None or analyze:
            from ..live.check import LiveError, run_check
            from ..live.config import live_config

            live_cfg = live_config(extras.get("live"), settings.config_path)
            try:
                result = run_check(paths, settings, live_cfg, dsn or "", analyze=analyze or live_cfg.analyze,
                                   explicit_version=pg_version is not None, stdin_name=stdin_filename,
                                   stdin_bytes=stdin_bytes, statement_text=output.statement_text)
            except LiveError as exc:
                raise click.ClickException(str(exc)) from None
        elif fix or unsafe_fixes or show_diff or add_ignore:
            return _edit_files(paths, settings, fix, unsafe_fixes, show_diff, add_ignore, output, output_file,
                               exit_zero, dict(stdin_name=stdin_filename, stdin_bytes=stdin_bytes, changed=changed,
                                               history=history, statement_text=True),
                               (START, lint_began))
        else:
            result = run_paths(paths, settings, stdin_name=stdin_filename, stdin_bytes=stdin_bytes,
                               changed=changed, history=history, use_cache=not no_cache,
                               progress=progress, statement_text=output.statement_text)
    except UnknownRule as exc:
        raise click.UsageError(str(exc)) from None
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        if progress is not None:
            progress.stop()
    _clock(result, START, lint_began)
    output.write(result, output_file)
    if exit_zero:
        return 0
    return 1 if result.diagnostics else 0


def _clock(result, start: float, lint_began: float) -> None:
    """The run's times: from process start (cli/timing.py) to the lint (interpreter,
    imports, configuration), the lint's wall time; output time runs from here."""
    result.clock_start = start
    result.startup = lint_began - start
    result.linting = time.perf_counter() - lint_began
    result.output_start = time.perf_counter()


def _edit_files(paths, settings, fix, unsafe, show_diff, add_ignore, output, output_file, exit_zero, kw,
                clock=None) -> int:
    """--fix / --diff / --add-ignore: lint, edit, write (or show), report what remains.

    A file that cannot be written is left as it was (exit 2); one edited while pglint ran
    is left as the editor saved it (exit 1); the other files are written either way."""
    from .fix import CHANGED_MEANWHILE, add_ignores, diffs, linter, run_fix, write_files

    lint = linter(paths, settings, kw)
    if add_ignore:
        rep = add_ignores(lint({}))
    else:
        result, rep = run_fix(lint, unsafe)
    for path, d, why in rep.rejected:
        click.echo(f"{path}:{d.line}:{d.column}: fix of {d.rule} not applied: {why}", err=True)
    if show_diff:
        text = diffs(rep)
        sys.stdout.write(text)
        sys.stdout.flush()
        for path in rep.stale:
            click.echo(f"{path}: {CHANGED_MEANWHILE}", err=True)
        n = len(rep.changed)
        click.echo(f"{rep.applied} fix{'es' if rep.applied != 1 else ''} would change {n} file{'s' if n != 1 else ''}.",
                   err=True)
        if rep.stale:
            return 1
        return 0 if exit_zero or not rep.changed else 1
    done = write_files(rep)
    for message in done.messages():
        click.echo(message, err=True)
    n = len(done.written)
    applied = sum(rep.counts.get(p, 0) for p in done.written)
    if add_ignore:
        click.echo(f"Added suppressions for {applied} finding{'s' if applied != 1 else ''} in {n} "
                   f"file{'s' if n != 1 else ''}.", err=True)
        return done.exit_code() or 0
    click.echo(f"Fixed {applied} problem{'s' if applied != 1 else ''} in {n} file{'s' if n != 1 else ''}.",
               err=True)
    if done.unwritten:  # report what those files hold, not the fixes they did not get
        _relint(result, lint, done.unwritten)
    if clock is not None:
        _clock(result, *clock)
    output.write(result, output_file)
    if done.exit_code() is not None:
        return done.exit_code()
    if exit_zero:
        return 0
    return 1 if result.diagnostics else 0


def _relint(result, lint, paths) -> None:
    """Replace the results of ``paths`` in ``result`` by a lint of what is on disk now."""
    fresh = {fr.path: fr for fr in lint({}, {os.path.realpath(p) for p in paths}).files}
    result.files = [fresh.get(fr.path, fr) for fr in result.files]

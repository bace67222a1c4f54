"""The ``pglint`` command (click). ``pglint PATHS`` is ``pglint check PATHS``.

Each subcommand lives in its own module, imported only when that command runs (or when
``pglint --help`` lists them): ``pglint PATHS`` does not pay for building the options of
``trace``, ``health`` or ``server``, and ``pglint --version`` imports no command at all."""

from __future__ import annotations

import gc
import importlib
import os
import sys

from . import timing  # noqa: F401  (first: the run's clock starts at process start)

# Importing click and building the command allocates thousands of long-lived objects, over
# which the cyclic collector would run a dozen times for nothing: paused until the end of
# this module, which then freezes them (the engine pauses it again while it lints).
_gc_was_enabled = gc.isenabled()
gc.disable()

import click  # noqa: E402

from .. import __version__  # noqa: E402
from ..config.errors import ConfigError  # noqa: E402
from ..source.writing import WriteError  # noqa: E402

COMMANDS_NEEDING_NO_CHECK = {"--help", "-h", "--version"}

# command name -> the module of pglint.cli that defines it (registering it on ``cli``)
COMMANDS = {
    "check": "check",
    "health": "health",
    "rule": "rules_cmd",
    "rules": "rules_cmd",
    "server": "server_cmd",  # pygls is imported only when it runs
    "trace": "trace_cmd",  # psycopg is imported only when it runs
}


class DefaultGroup(click.Group):
    """A group whose default command is ``check``, and whose commands are imported when
    they are first asked for (click's lazy subcommands)."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, cmd_name):
        module = COMMANDS.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(f"{__name__}.{module}")  # its @cli.command registers it
        return self.commands.get(cmd_name)

    def parse_args(self, ctx, args):
        if not args or (args[0] not in COMMANDS and args[0] not in COMMANDS_NEEDING_NO_CHECK):
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx, formatter):
        formatter.write_usage("pglint", "[OPTIONS] [PATHS]...\n" + " " * 7 + "pglint COMMAND [ARGS]...")

    def format_options(self, ctx, formatter):
        """`pglint --help` shows the options of `pglint check` (the default command, as
        ruff's help does), then the commands and the program's own options."""
        check = self.get_command(ctx, "check")
        if check is not None:
            sub = click.Context(check, info_name="check", parent=ctx)
            rows = [r for r in (p.get_help_record(sub) for p in check.get_params(sub)) if r is not None]
            rows = [r for r in rows if r[0] not in ("-h, --help",) and r[1]]
            with formatter.section("Check options (`pglint PATHS` is `pglint check PATHS`)"):
                formatter.write_dl(rows)
        self.format_commands(ctx, formatter)
        own = [r for r in (p.get_help_record(ctx) for p in self.get_params(ctx)) if r is not None]
        with formatter.section("Options"):
            formatter.write_dl(own)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="pglint")
def cli():
    """pglint: a PostgreSQL migration linter built on PostgreSQL's own parser.

    `pglint PATHS...` is short for `pglint check PATHS...`.
    """


def main(argv=None) -> int:
    """Entry point: no input may produce a traceback (set PGLINT_DEBUG=1 to see one)."""
    try:
        rv = cli.main(args=argv, prog_name="pglint", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (KeyboardInterrupt) into Abort when it does not exit itself
        if isinstance(exc.__cause__, KeyboardInterrupt) or isinstance(exc.__context__, KeyboardInterrupt):
            return _interrupted()
        click.echo("Aborted.", err=True)
        return 2
    except (ConfigError, WriteError) as exc:
        click.echo(f"pglint: error: {exc}", err=True)
        return 2
    except BrokenPipeError:
        _silence_broken_pipe()
        return 1
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("PGLINT_DEBUG"):
            raise
        click.echo(f"pglint: internal error: {type(exc).__name__}: {exc} "
                   "(please report it; PGLINT_DEBUG=1 shows the traceback)", err=True)
        return 2
    return rv if isinstance(rv, int) else 0


def _interrupted() -> int:
    """Ctrl-C (or SIGTERM during trace): the shell's convention, 128 + SIGINT. Whatever was
    started has been cleaned up on the way out (temporary cluster, scratch databases, live
    connections: context managers and finally blocks)."""
    try:
        click.echo("pglint: interrupted", err=True)
    except (OSError, ValueError):  # stderr closed
        pass
    return 130


def _silence_broken_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def entry() -> None:
    sys.exit(main())


# what start-up built lives as long as the process: out of the collector's sight (until the
# engine's pause ends, engine/runner._GcPaused: gc.unfreeze releases every frozen object)
gc.freeze()
if _gc_was_enabled:
    gc.enable()

"""``pglint trace`` without the command line: plan the histories as the linter does, run
each in a scratch database of its own, and collect statements and diagnostics."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ..engine.diagnostics import Diagnostic
from ..engine.runner import make_options, plan_units, with_context
from ..source.files import discover
from .tracer import FileTrace, TracedStatement


@dataclass
class TraceResult:
    files: list[FileTrace] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    elapsed: float = 0.0
    server: str = ""  # where it ran
    server_version: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def statements(self) -> list[TracedStatement]:
        return [s for f in self.files if f.traced for s in f.statements]

    @property
    def traced_files(self) -> list[FileTrace]:
        return [f for f in self.files if f.traced]


def plan(paths: list[str], settings, changed: set[str] | None = None):
    """Units (histories and standalone files) with the files to trace, as ``check`` plans them."""
    include = tuple(settings.include)
    excluded = settings.is_excluded if settings.exclude else None
    # Python modules are not traced: their SQL is read statically (pglint/python)
    inputs = [i for i in discover(paths, include, excluded, None) if not i.path.endswith(".py")]
    report: set[str] | None = None
    if changed is not None:
        report = {i.path for i in inputs if i.real and os.path.realpath(i.real) in changed}
    inputs, report = with_context(paths, inputs, report, include, excluded)
    return plan_units(inputs, settings, report, True)


def run_trace(paths: list[str], settings, *, dsn: str | None = None, pg_bin: str | None = None,
              changed: set[str] | None = None, seed_rows: int = 0, progress=None) -> TraceResult:
    """Trace ``paths``. Raises ClusterError when no server can be started or reached."""
    from .cluster import ClusterError
    from .server import _psycopg, mask_secrets

    psycopg = _psycopg()  # a clear message naming what to install when it is missing

    started = time.perf_counter()
    opts = make_options(settings)
    units = plan(paths, settings, changed)
    result = TraceResult()
    if not units:  # nothing to run: no server needed
        result.elapsed = time.perf_counter() - started
        return result
    try:
        _run(units, opts, result, dsn, pg_bin, seed_rows, progress)
    except psycopg.OperationalError as exc:  # the server went away, or cannot be reached
        left = "".join(f"; {n}" for n in result.notes if "scratch database" in n)  # what could not be cleaned up
        raise ClusterError(f"lost the connection to PostgreSQL: {mask_secrets(str(exc).strip(), dsn)}{left}") from None
    result.elapsed = time.perf_counter() - started
    return result


def _run(units, opts, result: TraceResult, dsn, pg_bin, seed_rows, progress) -> None:
    from .findings import file_diagnostics
    from .server import Server
    from .tracer import Tracer

    server = Server(dsn, pg_bin)
    try:
        with server:
            result.server = server.description
            major, minor = server.version
            result.server_version = f"{major}.{minor}"
            for unit in units:
                before = server.shared_state() if dsn else None
                name, conninfo = server.create_database()
                try:
                    tracer = Tracer(conninfo, opts, seed_rows=seed_rows, server_wide_ok=dsn is None, progress=progress)
                    try:
                        files = tracer.run_unit(unit)
                        result.notes.extend(tracer.seed_notes)
                    finally:
                        tracer.close()
                finally:
                    server.drop_database(name)
                if before is not None:  # dynamic SQL can escape the static screening (sandbox.py): say so
                    after = server.shared_state()
                    if after != before:
                        from .sandbox import describe_change

                        where = files[0].path if len(files) == 1 else f"the history of {unit.inputs[0].path}"
                        result.notes.append(f"{where} changed the server outside its scratch database (dynamic SQL "
                                            f"trace could not screen): {describe_change(before, after)}")
                for ft in files:
                    result.files.append(ft)
                    result.diagnostics.extend(file_diagnostics(ft, opts))
    finally:  # also when the server went away: the scratch databases it could not drop
        result.notes.extend(n for n in server.notes if n not in result.notes)

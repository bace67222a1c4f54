"""Run pglint over many files: discovery, migration histories, parallel linting, ordered results.

The unit of work is a *history* (the files of one migration directory, in the order its
tool runs them, sharing one schema model) or a standalone file. Units run in parallel;
the files of a history run in order in one worker.
"""

from __future__ import annotations

import copy
import gc
import os
import sys
import time
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

from ..source.files import Input, discover, natural_key, path_key, read_input, text_digest
from ..source.layouts import FORWARD, History, detect
from .diagnostics import Diagnostic
from .options import RunOptions
from .registry import all_rules, select_rules
from .results import FileResult

if TYPE_CHECKING:  # the engine proper (parser, model, rules) is imported only to lint:
    # a run answered from the cache never imports it
    from ..model.schema import SchemaModel
    from .checker import Dispatch

# below this many files (or bytes) a single process is faster than starting workers
PARALLEL_MIN_FILES = 16
PARALLEL_MIN_BYTES = 2_000_000
# rules that need the schema at the end of the whole history
FINAL_SCHEMA_RULES = frozenset({"unindexed-foreign-key", "missing-primary-key"})


@dataclass
class RunResult:
    files: list[FileResult] = field(default_factory=list)
    elapsed: float = 0.0  # wall seconds: of the lint here; the command sets it from process start
    settings: object = None
    # seconds spent reading, parsing, replaying histories and running rules, summed over the
    # worker processes (``workers`` of them); the command adds startup, linting and output
    timings: dict = field(default_factory=dict)
    workers: int = 1
    # set by the command: perf_counter() at process start and when output began; then
    # wall() is the time from process start to now (the end of the output, for the summary)
    clock_start: float | None = None
    output_start: float | None = None
    startup: float = 0.0  # process start to the command's start (interpreter, imports, config)
    linting: float = 0.0  # wall time of discovery, planning and linting

    def wall(self) -> float:
        if self.clock_start is None:
            return self.elapsed
        return time.perf_counter() - self.clock_start

    def split(self) -> dict:
        """Where the time went: ``startup``, ``linting`` and ``output`` are wall time in this
        process (they add up to the total with the summary); ``reading``, ``parsing``,
        ``history`` and ``rules`` are time spent in those steps summed over the
        ``workers`` processes (so with more than one they can add up to more than
        ``linting``)."""
        out = {"total": round(self.wall(), 3), "startup": round(self.startup, 3),
               "linting": round(self.linting or self.elapsed, 3)}
        if self.output_start is not None:
            out["output"] = round(time.perf_counter() - self.output_start, 3)
        for k in ("reading", "parsing", "history", "rules"):
            out[k] = round(max(0.0, self.timings.get(k, 0.0)), 3)
        out["workers"] = self.workers
        return out

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def statements(self) -> int:
        return sum(f.statements for f in self.files)


@dataclass
class Unit:
    """A history (with the paths to report; the others only give context) or one file."""

    inputs: list[Input]
    history: History | None = None
    report: set[str] | None = None  # None: report every file

    def reported(self, it: Input) -> bool:
        return self.report is None or it.path in self.report

    @property
    def size(self) -> int:
        n = 0
        for it in self.inputs:
            try:
                n += os.path.getsize(it.real) if it.real else 0
            except OSError:
                pass
        return n


def make_options(settings) -> RunOptions:
    rules = all_rules()
    enabled = select_rules(settings.select, settings.ignore, settings.extend_select)
    return RunOptions(settings, enabled, rules)


def make_dispatch(opts: RunOptions) -> Dispatch:
    from .checker import Dispatch

    return Dispatch([r for name, r in opts.rules.items() if name in opts.enabled and r.engine])


def unreadable_result(path: str, reason: str, opts: RunOptions) -> FileResult:
    res = FileResult(path, unreadable=reason)
    rule = opts.rules.get("unreadable-file")
    if rule is not None and rule.name in opts.enabled:
        sev = opts.settings.severity.get(rule.name, rule.severity)
        res.diagnostics.append(Diagnostic(
            rule.name, rule.code, sev, f"Cannot lint this file: {reason}",
            "pglint reads SQL files as UTF-8 text; convert or exclude the file. The other files were checked.",
            path, 0, 0, 1, 1, 1, 1,
        ))
    return res


def lint_text(text: str, path: str = "<string>", settings=None, opts: RunOptions | None = None,
              schema: SchemaModel | None = None) -> FileResult:
    """Lint SQL given as a string (the library entry point used by the tests and the LSP)."""
    from ..config.settings import Settings
    from ..source.text import SourceText
    from .checker import lint_source

    if opts is None:
        opts = make_options(settings or Settings())
    if is_python(path):  # a Python module: the SQL it hands to database drivers
        from ..python.lint import lint_python

        return lint_python(SourceText(path, text), opts, make_dispatch(opts), path, schema=schema,
                           complete_history=schema is not None)
    return lint_source(SourceText(path, text), opts, make_dispatch(opts), path, schema=schema,
                       complete_history=schema is not None)


# -- planning ------------------------------------------------------------------------


def plan_units(inputs: list[Input], settings, report: set[str] | None = None, history: bool = True) -> list[Unit]:
    """Group inputs into histories (by migration layout) and standalone files."""
    if not history:
        return [Unit([i], None, report) for i in inputs if report is None or i.path in report]
    python = [i for i in inputs if is_python(i.path)]
    if python:  # Python modules: application code on its own, migrations by directory (pglint/python)
        inputs = [i for i in inputs if not is_python(i.path)]
    histories, standalone = detect(inputs)
    if python:  # Alembic / Django migration directories are histories (pglint/python/history.py)
        from ..python.history import python_histories

        more, python = python_histories(python)
        histories = sorted(histories + more, key=lambda h: natural_key(h.root))
    standalone = list(standalone) + python
    units: list[Unit] = []
    for h in histories:
        ins = [e.input for e in h.entries]
        if report is not None and not any(i.path in report for i in ins):
            continue
        units.append(Unit(ins, h, report))
    for i in standalone:
        if report is None or i.path in report:
            units.append(Unit([i], None, report))
    units.sort(key=lambda u: path_key(u.history.root + "/" if u.history else u.inputs[0].path)
               if u.inputs[0].real is not None else [])
    return units


def context_inputs(inputs: list[Input], include, is_excluded, resolved: dict[str, str] | None = None) -> list[Input]:
    """For files named one by one (pre-commit, an editor), the other files of their
    migration directory: they give the history that came before. ``resolved``: real paths
    already found in this run (source.files.realpath_cached)."""
    import fnmatch

    from ..source.files import _walk, realpath_cached

    if resolved is None:
        resolved = {}
    seen = {realpath_cached(i.real, resolved) for i in inputs if i.real}
    extra: list[Input] = []
    dirs = {os.path.dirname(i.path) or "." for i in inputs if i.real is not None}
    for d in list(dirs):
        base = os.path.basename(d)
        parent = os.path.dirname(d)
        if parent and (base[:1].isdigit() or base in ("deploy", "revert", "verify") or base[:1] in "vV"):
            dirs.add(parent)
    for d in sorted(dirs):
        try:
            with os.scandir(d) as it:  # the entry's type comes with the listing: no stat per name
                entries = list(it)
        except OSError:
            continue
        cands = []
        for e in entries:
            n = e.name
            if n.startswith("."):
                continue
            p = os.path.join(d, n)
            try:
                is_dir, is_file = e.is_dir(), e.is_file()  # both follow symlinks, as isdir/isfile
            except OSError:
                continue
            if is_dir:
                cands.extend(_walk(p, include, is_excluded) if _looks_like_migration_dir(n) else ())
            elif is_file:
                if any(fnmatch.fnmatchcase(n, pat) for pat in include) and not (is_excluded and is_excluded(p)):
                    cands.append(p)
        for p in cands:
            rp = realpath_cached(p, resolved)
            if rp not in seen:
                seen.add(rp)
                extra.append(Input(p, p))
    return extra


def _looks_like_migration_dir(name: str) -> bool:
    return name[:1].isdigit() or name in ("deploy", "revert", "verify") or (name[:1] in "vV" and name[1:2].isdigit())


# -- workers -------------------------------------------------------------------------

_W: dict = {}
# seconds per phase spent by this process since the last take_times(): reading, parsing,
# history (replaying migrations that only give context, and the end-of-history model),
# rules (linting proper, the schema model kept along statement by statement)
_TIMES: dict[str, float] = {}


def _charge(phase: str, t0: float) -> float:
    now = time.perf_counter()
    _TIMES[phase] = _TIMES.get(phase, 0.0) + (now - t0)
    return now


def take_times() -> dict[str, float]:
    out = dict(_TIMES)
    _TIMES.clear()
    return out


def _notify(event: str, value) -> None:
    """Tell the progress display (in this process or, from a worker, through a queue)
    which file is being worked on ("file", path) and what was finished ("done", statements)."""
    fn = _W.get("notify")
    if fn is not None:
        try:
            fn((event, value))
        except Exception:  # noqa: BLE001 - a display must never break a lint
            _W["notify"] = None


def _init_worker(opts: RunOptions, base_model=None, overlay=None, notify=None) -> None:
    _W["opts"] = opts
    _W["dispatch"] = make_dispatch(opts)
    _W["base_model"] = base_model
    _W["overlay"] = overlay
    _W["notify"] = notify


def _read(item: Input, stdin_bytes: bytes | None = None):
    return read_input(item, stdin_bytes, _W.get("overlay"))


def _start_model() -> SchemaModel | None:
    """The schema every unit starts from: a copy of the baseline (dump or live catalog)."""
    base = _W.get("base_model")
    if base is None:
        return None
    return copy.deepcopy(base)


_ROLLBACK_WORDS = ("down", "undo", "revert", "rollback")


def _is_rollback_name(path: str) -> bool:
    """A file named as a rollback (``*.down.sql``, ``down.sql``, ``*.undo.sql`` ...) outside
    any layout pglint knows."""
    base = os.path.basename(path).lower()
    return any(base.endswith(f".{w}.sql") or base == f"{w}.sql" for w in _ROLLBACK_WORDS)


def is_python(path: str) -> bool:
    """A Python module: its SQL is read from the strings it hands to database drivers."""
    return path.endswith(".py")


def _lint_file(item: Input, index: int, stdin_bytes: bytes | None = None) -> FileResult:
    opts: RunOptions = _W["opts"]
    _notify("file", item.path)
    t = time.perf_counter()
    src, problem = _read(item, stdin_bytes)
    t = _charge("reading", t)
    if src is None:
        _notify("done", 0)
        return unreadable_result(item.path, problem or "unreadable", opts)
    if is_python(item.path):
        from ..python.lint import lint_python

        try:
            res = lint_python(src, opts, _W["dispatch"], item.path, index, schema=_start_model(),
                              complete_history=_W.get("base_model") is not None)
        except RecursionError:
            return _internal_error(item.path, "input nested too deeply", opts)
        res.digest = text_digest(src.text)
        return res
    from .checker import lint_source, parse_source

    rollback = _is_rollback_name(item.path)
    base = _start_model()
    try:
        pf = parse_source(src, opts)
        t = _charge("parsing", t)
        res = lint_source(src, opts, _W["dispatch"], item.path, index, schema=base, rollback=rollback,
                          parsed=pf, complete_history=base is not None)
        pf.release()
    except RecursionError:
        _notify("done", 0)
        return _internal_error(item.path, "input nested too deeply", opts)
    finally:
        _charge("rules", t)
    res.rollback = rollback
    res.digest = text_digest(src.text)
    _notify("done", res.statements)
    return res


def _lint_unit(unit: Unit, stdin_bytes: bytes | None = None) -> list[FileResult]:
    if unit.history is None:
        return [_lint_file(unit.inputs[0], 0, stdin_bytes)]
    from ..model.schema import SchemaModel
    from .checker import lint_source, parse_source, replay

    opts: RunOptions = _W["opts"]
    dispatch = _W["dispatch"]
    entries = unit.history.entries
    py = _python_reader(unit.history, opts)  # Alembic / Django: the SQL each .py file sends
    # read and parse every file once
    loaded = []
    for e in entries:
        _notify("parse", e.input.path)
        t = time.perf_counter()
        src, problem = _read(e.input)
        t = _charge("reading", t)
        pf = None
        if src is not None and py is not None:
            src = py.source(e, src)  # the SQL the migration sends, placed in the .py file
        if src is not None:
            try:
                pf = py.parse(src, opts) if py is not None else parse_source(src, opts)
            except RecursionError:
                src, problem = None, "input nested too deeply"
        _charge("parsing", t)
        loaded.append((src, problem, pf))
    final = None
    if FINAL_SCHEMA_RULES & opts.enabled:
        # the model at the end of the history, built (a second replay) only when a rule asks
        built: list[SchemaModel] = []

        def build_final() -> SchemaModel:
            if not built:
                t = time.perf_counter()
                model = _start_model() or SchemaModel()
                for k, (e, (src, _, pf)) in enumerate(zip(entries, loaded)):
                    if src is not None and e.kind in (FORWARD, "repeatable"):
                        replay(src, opts, model, k, pf)
                built.append(model)
                # charged to history, and taken back from the rule that asked for it
                _TIMES["rules"] = _TIMES.get("rules", 0.0) - (_charge("history", t) - t)
            return built[0]

        final = build_final
    base = _start_model()
    model = base or SchemaModel()
    # the history is whole when a baseline gives what came before, or when the layout is a
    # migration tool's (which runs every migration from an empty database) and its first
    # migration creates tables; ad-hoc versioned directories often sit on a separate base schema
    whole = base is not None or (unit.history.layout != "versioned-directories" and _creates_tables(loaded))
    out: list[FileResult] = []
    for k, (e, (src, problem, pf)) in enumerate(zip(entries, loaded)):
        forward = e.kind in (FORWARD, "repeatable")
        index = k if forward or e.pair is None else e.pair
        if not unit.reported(e.input):
            if src is not None and forward:
                t = time.perf_counter()
                replay(src, opts, model, index, pf)
                _charge("history", t)
            continue
        _notify("file", e.input.path)
        if src is None:
            out.append(unreadable_result(e.input.path, problem or "unreadable", opts))
            _notify("done", 0)
            continue
        t = time.perf_counter()
        try:
            res = lint_source(src, opts, dispatch, e.input.path, index, schema=model, rollback=not forward,
                              parsed=pf, final_schema=final, complete_history=whole, tool=e.tx)
        except RecursionError:
            res = _internal_error(e.input.path, "input nested too deeply", opts)
        _charge("rules", t)
        res.rollback = not forward
        res.digest = text_digest(src.text)
        if py is not None:
            py.finish(res, src, k == 0)
        out.append(res)
        _notify("done", res.statements)
    for _, _, pf in loaded:
        if pf is not None:
            pf.release()
    return out


def _python_reader(history: History, opts: RunOptions):
    if history.layout not in ("alembic", "django"):
        return None
    from ..python.history import Reader

    return Reader(history, opts)


def _creates_tables(loaded) -> bool:
    for src, _, pf in loaded:
        if pf is None:
            continue
        if pf.statements:
            return any(s.type == "CreateStmt" for s in pf.statements)
    return False


def _lint_parallel(tasks, todo, results, opts, procs, progress, base_model, overlay, times) -> None:
    """Lint ``tasks`` ((index, unit), biggest first) in ``procs`` processes: this one and
    procs - 1 forked workers. Each process claims the next task from a shared counter, so
    that the biggest units start first and no process waits while another has work; the
    workers send their results through a pipe each, which a thread here reads. This process
    lints too (an idle parent would hold a whole interpreter's memory for nothing while it
    waits); the results of its own tasks need no pickling."""
    import multiprocessing as mp
    import threading
    from collections import deque
    from multiprocessing.connection import wait

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else None)
    claim = ctx.Value("i", 0)
    # the workers tell the display what they do as they do it: a unit (a whole migration
    # history) can take most of the run, and its results come back only at its end
    relay = _Relay(ctx, progress.event) if progress is not None and progress.per_file else None
    inbox: deque = deque()  # (index, results, times, error) from the workers
    workers, conns = [], []

    shared: dict = {}

    def store(i, res) -> None:
        results[todo[i]] = _share_strings(res, shared)
        if progress is not None and not progress.per_file:
            for r in res:
                progress.finished(r)

    def drain() -> None:
        while inbox:
            i, res, spent, error = inbox.popleft()
            for k, v in spent.items():
                times[k] = times.get(k, 0.0) + v
            if error is not None:
                raise error
            store(i, res)

    def read() -> None:
        live = list(conns)
        try:
            while live:
                for c in wait(live):
                    try:
                        inbox.append(c.recv())
                    except (EOFError, OSError):
                        live.remove(c)
        except (OSError, ValueError):  # the pipes were closed under it: the run is ending
            return

    try:
        for _ in range(procs - 1):
            r, w = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_worker, args=(tasks, claim, w, opts, base_model, overlay,
                                                  relay.queue if relay else None), daemon=True)
            p.start()
            w.close()  # the worker holds the writing end: its exit closes the pipe
            workers.append(p)
            conns.append(r)
        reader = threading.Thread(target=read, name="pglint-results", daemon=True)
        reader.start()
        while (k := _claim(claim, len(tasks))) is not None:
            i, unit = tasks[k]
            store(i, _lint_unit(unit))
            _collect_if_due()
            drain()
        reader.join()
        drain()
        for p in workers:
            p.join()
        if any(results[todo[i]] is None for i, _ in tasks):  # a unit a worker claimed never came back
            codes = [p.exitcode for p in workers if p.exitcode != 0]
            raise RuntimeError("a worker process stopped before its work was done "
                               f"(exit code {codes[0] if codes else 'unknown'})")
    finally:
        for p in workers:
            if p.is_alive():
                p.terminate()
            p.join()
        for c in conns:
            c.close()
        if relay is not None:
            relay.close()


def _share_strings(res: list[FileResult], same: dict) -> list[FileResult]:
    """One string object for each distinct text across the run's results (the same
    explanation arrives as a separate copy with every unit a worker sends: 19,500 copies
    of a few dozen texts on the corpus)."""
    from .diagnostics import share_strings

    for r in res:
        for d in r.diagnostics:
            share_strings(d, same)
    return res


def _claim(counter, n: int) -> int | None:
    """The next task's position, shared by every process (None: all are taken)."""
    with counter.get_lock():
        k = counter.value
        if k >= n:
            return None
        counter.value = k + 1
    return k


def _worker(tasks, claim, conn, opts, base_model, overlay, queue) -> None:
    """A worker process: claims tasks until none is left and sends each result. It ignores
    Ctrl-C: the terminal sends SIGINT to the whole process group, and the main process
    alone handles it (it stops the workers on its way out); a worker interrupted in the
    middle of a task would print its own traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _TIMES.clear()
    _init_worker(opts, base_model, overlay, queue.put if queue is not None else None)
    gc.disable()  # a forked worker inherits the pause; a spawned one (macOS, Windows) starts without it
    try:
        while (k := _claim(claim, len(tasks))) is not None:
            i, unit = tasks[k]
            try:
                msg = (i, _lint_unit(unit), take_times(), None)
            except Exception as exc:  # noqa: BLE001 - raised again in the main process
                msg = (i, None, take_times(), _portable(exc))
            try:
                conn.send(msg)
            except OSError:  # the main process is gone (interrupted): nobody to tell
                return
            if msg[3] is not None:
                return
            _collect_if_due()
    finally:
        conn.close()


def _portable(exc: Exception) -> Exception:
    """The exception itself if it crosses a pipe, else a RuntimeError that describes it."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")


# Python's cyclic garbage collector runs every 700 net allocations of container objects and
# traverses the young ones, and again and again the ones that survive: with the millions
# of dicts and lists of parse trees a run allocates, that was 6-7 s of a 21 s single-process
# run over the corpus. Parse trees hold no reference cycles (ParsedFile.release breaks the
# statement <-> embedded links once a file is done), so reference counting frees them, and
# the collector is paused while units are linted; it runs between units once enough
# objects have piled up (cycles from libraries, e.g. sqlglot's trees, are freed there).
_GC_DUE = 200_000


def _collect_if_due() -> None:
    if not gc.isenabled() and gc.get_count()[0] > _GC_DUE:
        gc.collect()
        # what survives between units (results, caches) stays: freeze it, so that the next
        # collection traverses only what the next units allocate
        gc.freeze()


class _GcPaused:
    """The collector off while linting; what exists before (modules, the rule registry, a
    baseline model: long-lived, never garbage) is frozen out of its sight, and so is what
    survives each collection between units, so that a collection traverses only what the
    units since the last one allocated (full collections over everything cost 1.1 s of a
    corpus run)."""

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()
        gc.freeze()
        return self

    def __exit__(self, *exc):
        gc.unfreeze()
        if self.was:
            gc.enable()


def _internal_error(path: str, what: str, opts: RunOptions) -> FileResult:
    res = FileResult(path)
    rule = opts.rules["syntax-error"]
    res.diagnostics.append(Diagnostic(rule.name, rule.code, "error", f"pglint could not analyse this file: {what}",
                                      None, path, 0, 0, 1, 1, 1, 1))
    return res


def run(units: list[Unit], opts: RunOptions, jobs: int = 0, stdin_bytes: bytes | None = None,
        progress=None, base_model=None, cache=None, overlay: dict[str, str] | None = None) -> RunResult:
    """Lint the units; ``base_model`` (a SchemaModel, e.g. from a schema dump or a live
    database) is what every unit starts from: its tables count as existing. ``cache``: a
    Cache whose hits replace linting (units are keyed by content and settings).
    ``progress``: a display told ``start(total files)``, then ``event(("file", path))``
    when a file is started, ``event(("done", statements))`` when it is finished (from the
    worker processes, through a queue, while they work) and ``cached(result)`` for a file
    answered by the cache; any object with only ``__call__(result)`` gets each result."""
    started = time.perf_counter()
    results: list[list[FileResult] | None] = [None] * len(units)
    keys: list[str | None] = [None] * len(units)
    progress = _ProgressAdapter.of(progress)
    if progress is not None:
        progress.start(sum(1 for u in units for i in u.inputs if u.reported(i)))
    if cache is not None:
        from .cache import code_fingerprint, settings_fingerprint, unit_key

        t = time.perf_counter()
        prefix = code_fingerprint() + settings_fingerprint(opts) + ("+text" if opts.statement_text else "")
        keys = [unit_key(prefix, u) for u in units]
        hits = cache.get_many([k for k in keys if k])
        for i, k in enumerate(keys):
            if k in hits:
                results[i] = hits[k]
                if progress is not None:
                    for r in hits[k]:
                        progress.cached(r)
        _charge("reading", t)
    todo = [i for i in range(len(units)) if results[i] is None]
    times: dict[str, float] = {}
    with _GcPaused():  # from setting up (the checker, the parser, the rules' index: long-lived) to the end
        if todo:
            _init_worker(opts, base_model, overlay, progress.event if progress is not None else None)
        workers = _lint_units(units, todo, results, opts, jobs, stdin_bytes, progress, base_model, overlay, times)
    _W["notify"] = None
    if cache is not None:
        cache.put_many({keys[i]: results[i] for i in todo if keys[i] and results[i] is not None})
    for k, v in take_times().items():
        times[k] = times.get(k, 0.0) + v
    files = [r for rs in results if rs for r in rs]
    return RunResult(files, time.perf_counter() - started, opts.settings, times, workers)


class _ProgressAdapter:
    """What run() calls on a progress display, for displays that know only ``__call__``."""

    def __init__(self, target) -> None:
        self.target = target
        self.start = getattr(target, "start", lambda total: None)
        self.event = getattr(target, "event", None) or self._event
        self.cached = getattr(target, "cached", None) or target
        self.finished = getattr(target, "finished", None) or target
        self.per_file = hasattr(target, "event")  # else each result is given when its unit is done

    @classmethod
    def of(cls, target):
        return None if target is None else cls(target)

    def _event(self, ev) -> None:
        return None


def _lint_units(all_units, todo, results, opts, jobs, stdin_bytes, progress, base_model, overlay, times) -> int:
    """Lint the units not answered by the cache (the collector paused: _GcPaused).
    Returns the number of processes that linted."""
    units = [all_units[i] for i in todo]
    n = len(units)
    if jobs <= 0:
        jobs = os.cpu_count() or 1
    nfiles = sum(len(u.inputs) for u in units)
    sizes = [u.size for u in units] if jobs > 1 and n > 1 else []
    parallel = (jobs > 1 and n > 1 and (nfiles >= PARALLEL_MIN_FILES or sum(sizes) >= PARALLEL_MIN_BYTES)
                and all(i.real is not None for u in units for i in u.inputs))
    if parallel:
        # biggest first so that one large unit does not finish last
        order = sorted(range(n), key=lambda i: -sizes[i])
        _lint_parallel([(i, units[i]) for i in order], todo, results, opts, min(jobs, n), progress, base_model,
                       overlay, times)
        return min(jobs, n)
    for i, u in enumerate(units):
        res = _lint_unit(u, stdin_bytes)
        _collect_if_due()
        results[todo[i]] = res
        if progress is not None and not progress.per_file:
            for r in res:
                progress.finished(r)
    return 1


class _Relay:
    """Progress events from worker processes: a queue they put to, and a thread here that
    hands each event to the display."""

    def __init__(self, ctx, handle) -> None:
        import threading

        self.queue = ctx.SimpleQueue()
        self.handle = handle
        self.thread = threading.Thread(target=self._pump, name="pglint-progress", daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        while True:
            try:
                ev = self.queue.get()
            except (EOFError, OSError):
                return
            if ev is None:
                return
            try:
                self.handle(ev)
            except Exception:  # noqa: BLE001 - the display must not stop the run
                pass

    def close(self) -> None:
        try:
            self.queue.put(None)
        except (OSError, ValueError):
            return
        self.thread.join(timeout=2)
        try:
            self.queue.close()
        except (AttributeError, OSError):
            pass


def run_paths(paths: list[str], settings, stdin_name: str | None = None, stdin_bytes: bytes | None = None,
              jobs: int | None = None, progress=None, base_model=None, changed: set[str] | None = None,
              history: bool = True, use_cache: bool = False, statement_text: bool = False,
              overlay: dict[str, str] | None = None) -> RunResult:
    """Lint command-line paths. ``changed``: report only these files (real paths), while
    the histories they belong to are still replayed for context. ``statement_text``: give
    each diagnostic its statement's text (sarif, gitlab, html)."""
    take_times()  # this run's phases only
    t = time.perf_counter()
    opts = make_options(settings)
    opts.statement_text = statement_text
    include = python_include(settings)
    excluded = settings.is_excluded if settings.exclude else None
    resolved: dict[str, str] = {}  # real paths, found once for discovery and context
    inputs = discover(paths, include, excluded, stdin_name, resolved)
    report: set[str] | None = None
    if changed is not None:
        from ..source.files import realpath_cached

        report = {i.path for i in inputs if i.real and realpath_cached(i.real, resolved) in changed}
    if history:
        inputs, report = with_context(paths, inputs, report, include, excluded, resolved)
    t = _charge("reading", t)  # finding the files
    if base_model is None and settings.baseline:
        from .baseline import load_baseline

        base_model = load_baseline(settings.baseline, settings)
    units = plan_units(inputs, settings, report, history)
    _charge("history", t)  # the baseline, and migration layouts and their order
    cache = None
    # results depend on the database in live mode: only the static run is cached
    if use_cache and settings.cache and (base_model is None or settings.baseline) and not overlay:
        from .cache import Cache, default_dir

        from .cache import code_fingerprint

        cache = Cache(default_dir(settings), code_fingerprint())
    try:
        return run(units, opts, settings.jobs if jobs is None else jobs, stdin_bytes, progress, base_model, cache,
                   overlay)
    finally:
        if cache is not None:
            cache.close()


def python_include(settings) -> tuple[str, ...]:
    """The include patterns, with ``*.py`` when the python option is on."""
    include = tuple(settings.include)
    if getattr(settings, "python", False) and "*.py" not in include:
        include += ("*.py",)
    return include


def with_context(paths: list[str], inputs: list[Input], report: set[str] | None, include, excluded,
                 resolved: dict[str, str] | None = None):
    """Files named one by one (not found by walking a directory given in ``paths``) get the
    other files of their migration directory as context; only the inputs are reported.
    Shared by check and trace. ``resolved``: as for context_inputs."""
    # once: thousands of named files are common (a path that is an input is a file: no stat)
    given = {i.path for i in inputs}
    walked = [p for p in paths if p not in given and os.path.isdir(p)]
    named = [i for i in inputs if i.real is not None and not any(_under(i.path, d) for d in walked)]
    if named:
        if report is None:
            report = {i.path for i in inputs}
        inputs = inputs + context_inputs(named, include, excluded, resolved)
    return inputs, report


def _under(path: str, directory: str) -> bool:
    d = os.path.normpath(directory)
    return os.path.normpath(path).startswith(d + os.sep) or d in (".", "")

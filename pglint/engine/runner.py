"""Run pglint over many files: discovery, reading, parallel linting, ordered results."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

from ..source.files import Input, discover, read_input
from ..source.text import SourceText
from .checker import Dispatch, FileResult, lint_source
from .context import RunOptions
from .diagnostics import Diagnostic
from .registry import all_rules, select_rules

# below this many files (or bytes) a single process is faster than starting workers
PARALLEL_MIN_FILES = 16
PARALLEL_MIN_BYTES = 2_000_000


@dataclass
class RunResult:
    files: list[FileResult] = field(default_factory=list)
    elapsed: float = 0.0
    settings: object = None

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def statements(self) -> int:
        return sum(f.statements for f in self.files)


def make_options(settings) -> RunOptions:
    rules = all_rules()
    enabled = select_rules(settings.select, settings.ignore, settings.extend_select)
    return RunOptions(settings, enabled, rules)


def make_dispatch(opts: RunOptions) -> Dispatch:
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


def lint_text(text: str, path: str = "<string>", settings=None, opts: RunOptions | None = None) -> FileResult:
    """Lint SQL given as a string (the library entry point used by the tests and the LSP)."""
    from ..config.settings import Settings

    if opts is None:
        opts = make_options(settings or Settings())
    return lint_source(SourceText(path, text), opts, make_dispatch(opts), path)


# -- workers -------------------------------------------------------------------------

_W: dict = {}


def _init_worker(opts: RunOptions, base_model=None) -> None:
    _W["opts"] = opts
    _W["dispatch"] = make_dispatch(opts)
    _W["base_model"] = base_model


def _start_model():
    """The schema every file starts from: a copy of the baseline (dump or live catalog)."""
    base = _W.get("base_model")
    if base is None:
        return None
    import copy

    return copy.deepcopy(base)


def _lint_one(item: Input, index: int, stdin_bytes: bytes | None = None) -> FileResult:
    opts: RunOptions = _W["opts"]
    src, problem = read_input(item, stdin_bytes)
    if src is None:
        return unreadable_result(item.path, problem or "unreadable", opts)
    rollback = _is_rollback_name(item.path)
    try:
        res = lint_source(src, opts, _W["dispatch"], item.path, index, schema=_start_model(), rollback=rollback)
    except RecursionError:
        return _internal_error(item.path, "input nested too deeply", opts)
    res.rollback = rollback
    return res


def _lint_task(task):
    index, item = task
    return index, _lint_one(item, index)


def _internal_error(path: str, what: str, opts: RunOptions) -> FileResult:
    res = FileResult(path)
    rule = opts.rules["syntax-error"]
    res.diagnostics.append(Diagnostic(rule.name, rule.code, "error", f"pglint could not analyse this file: {what}",
                                      None, path, 0, 0, 1, 1, 1, 1))
    return res


def _is_rollback_name(path: str) -> bool:
    base = os.path.basename(path).lower()
    return base.endswith(".down.sql") or base == "down.sql"


def run(inputs: list[Input], opts: RunOptions, jobs: int = 0, stdin_bytes: bytes | None = None,
        progress=None, base_model=None) -> RunResult:
    """Lint ``inputs``; ``base_model`` (a SchemaModel, e.g. from a schema dump or a live
    database) is what every file starts from: its tables count as existing."""
    started = time.perf_counter()
    _init_worker(opts, base_model)
    results: list[FileResult | None] = [None] * len(inputs)
    n = len(inputs)
    if progress is not None and hasattr(progress, "start"):
        progress.start(n)  # a progress display that wants the total
    if jobs <= 0:
        jobs = os.cpu_count() or 1
    total_bytes = 0
    if jobs > 1 and n >= 2:
        for it in inputs:
            if it.real is not None:
                try:
                    total_bytes += os.path.getsize(it.real)
                except OSError:
                    pass
    parallel = jobs > 1 and (n >= PARALLEL_MIN_FILES or total_bytes >= PARALLEL_MIN_BYTES) and n > 1
    if parallel and any(i.real is None for i in inputs):
        parallel = False
    if parallel:
        import multiprocessing as mp

        method = "fork" if sys.platform.startswith("linux") else None
        ctx = mp.get_context(method)
        sizes = []
        for i, it in enumerate(inputs):
            try:
                sz = os.path.getsize(it.real)
            except OSError:
                sz = 0
            sizes.append((sz, i))
        # biggest first so that one large file does not finish last
        order = [i for _, i in sorted(sizes, reverse=True)]
        tasks = [(i, inputs[i]) for i in order]
        chunk = max(1, min(16, n // (jobs * 8)))
        with ctx.Pool(min(jobs, n), initializer=_init_worker, initargs=(opts, base_model)) as pool:
            for i, res in pool.imap_unordered(_lint_task, tasks, chunksize=chunk):
                results[i] = res
                if progress is not None:
                    progress(res)
    else:
        for i, it in enumerate(inputs):
            res = _lint_one(it, i, stdin_bytes)
            results[i] = res
            if progress is not None:
                progress(res)
    return RunResult([r for r in results if r is not None], time.perf_counter() - started, opts.settings)


def run_paths(paths: list[str], settings, stdin_name: str | None = None, stdin_bytes: bytes | None = None,
              jobs: int | None = None, progress=None, base_model=None, statement_text: bool = False) -> RunResult:
    """``statement_text``: give each diagnostic its statement's text (sarif, gitlab, html)."""
    opts = make_options(settings)
    opts.statement_text = statement_text
    inputs = discover(paths, tuple(settings.include), settings.is_excluded if settings.exclude else None, stdin_name)
    return run(inputs, opts, settings.jobs if jobs is None else jobs, stdin_bytes, progress, base_model)

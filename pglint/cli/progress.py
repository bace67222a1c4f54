"""A progress bar on stderr while files are linted.

Shown only when stderr is a terminal (not piped, not a log), ``CI`` is not set and
``TERM`` is not ``dumb``, and only once the run has taken ``DELAY`` seconds (quick runs
never draw it or import rich). It shows the files and statements done, the file being
worked on and the elapsed time, and disappears when the run ends.

The engine (engine/runner.py run()) calls ``start(total)``, then ``event(("parse", path))``
/ ``event(("file", path))`` as a file is read or linted and ``event(("done", statements))``
when it is finished, from worker processes through a queue while they work, and
``cached(result)`` for a file answered by the cache. A timer thread opens the bar at
``DELAY`` even if no event comes (one long history parsing), and rich's own refresh
thread redraws it, so the screen moves while the main thread waits for the workers.
"""

from __future__ import annotations

import os
import sys
import threading
import time

DELAY = 0.5  # seconds before the bar appears


class ProgressBar:
    def __init__(self, stream, color: bool | None = None, delay: float = DELAY) -> None:
        self.stream = stream
        self.color = color
        self.delay = delay
        self.total = 0
        self.done = 0
        self.statements = 0
        self.current = ""
        self.phase = "linting"
        self.shown = False  # the bar was drawn at least once (tests)
        self._bar = None
        self._task = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._stopped = False

    # -- what the engine calls -------------------------------------------------------
    def start(self, total: int) -> None:
        with self._lock:
            self.total = total
            self.done = 0
            self.statements = 0
        if self._timer is None and not self._stopped and total:
            from .timing import since_start

            # half a second of the run, counted from process start (the user waits since then)
            self._timer = threading.Timer(max(0.0, self.delay - since_start()), self._open)
            self._timer.daemon = True
            self._timer.start()

    def event(self, ev) -> None:
        kind, value = ev
        with self._lock:
            if kind == "done":
                self.done += 1
                self.statements += int(value or 0)
            elif kind == "parse":
                self.phase, self.current = "reading", str(value)
            else:
                self.phase, self.current = "linting", str(value)
        self._refresh()

    def cached(self, result) -> None:
        with self._lock:
            self.done += 1
            self.statements += getattr(result, "statements", 0)
            self.current = getattr(result, "path", "")
            self.phase = "cached"
        self._refresh()

    __call__ = cached  # older callers pass each finished result

    # -- display ---------------------------------------------------------------------
    def _describe(self) -> str:
        n = self.statements
        return f"{n:,} statement{'s' if n != 1 else ''}  {self.phase} {_short(self.current)}"

    def _refresh(self) -> None:
        bar = self._bar
        if bar is not None:
            with self._lock:
                bar.update(self._task, completed=self.done, info=self._describe())

    def _open(self) -> None:
        with self._lock:
            if self._stopped or self._bar is not None or (self.total and self.done >= self.total):
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(file=self.stream, no_color=self.color is False)
            self._bar = Progress(TextColumn("pglint"), BarColumn(bar_width=30), MofNCompleteColumn(),
                                 TextColumn("files"), TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                                 console=console, transient=True, refresh_per_second=8)
            self._task = self._bar.add_task("lint", total=self.total, completed=self.done, info=self._describe())
            self._bar.start()
            self.shown = True

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            timer, bar = self._timer, self._bar
            self._bar = None
        if timer is not None:
            timer.cancel()
        if bar is not None:
            bar.stop()


def _short(path: str, width: int = 60) -> str:
    return path if len(path) <= width else "..." + path[-(width - 3):]


def wanted(stream=None, environ=None) -> bool:
    """A bar only for a person watching a terminal: not piped, not in CI, not TERM=dumb."""
    stream = sys.stderr if stream is None else stream
    env = os.environ if environ is None else environ
    if env.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    if env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress_bar(quiet: bool = False, color: bool | None = None) -> ProgressBar | None:
    """A progress bar when a person watches stderr on a terminal; None otherwise."""
    if quiet or not wanted():
        return None
    return ProgressBar(sys.stderr, color)

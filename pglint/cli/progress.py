"""A progress bar (rich) on stderr while many files are linted.

Shown only when stderr is a terminal, there are at least ``MIN_FILES`` files and the
run has already taken ``DELAY`` seconds (so quick runs never import rich or flicker);
it disappears when the run ends. The runner calls ``start(total)`` and then the object
once per linted file.
"""

from __future__ import annotations

import sys
import time

MIN_FILES = 20
DELAY = 0.3


class ProgressBar:
    def __init__(self, stream, color: bool | None = None) -> None:
        self.stream = stream
        self.color = color
        self.total = 0
        self.done = 0
        self.shown = False
        self._bar = None
        self._task = None
        self._t0 = time.perf_counter()

    def start(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._t0 = time.perf_counter()

    def __call__(self, _result) -> None:
        self.done += 1
        if self._bar is None:
            if (self.total < MIN_FILES or self.done >= self.total
                    or time.perf_counter() - self._t0 < DELAY):
                return
            self._open()
        self._bar.update(self._task, completed=self.done)

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(file=self.stream, no_color=self.color is False)
        self._bar = Progress(TextColumn("linting"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                             TimeElapsedColumn(), console=console, transient=True)
        self._task = self._bar.add_task("lint", total=self.total, completed=self.done)
        self._bar.start()
        self.shown = True

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def progress_bar(quiet: bool = False, color: bool | None = None) -> ProgressBar | None:
    """A progress bar when stderr is a terminal; None otherwise (logs, CI, pipes)."""
    if quiet:
        return None
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return ProgressBar(sys.stderr, color) if tty else None

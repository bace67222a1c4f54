"""Wall-clock time of a pglint run, measured from the start of the process.

The summary's time is what the user waited: from the moment the operating system started
the ``pglint`` process (interpreter start-up and imports included) to the end of the
output. On Linux the start is read from ``/proc/self/stat`` (field 22, the start time in
clock ticks since boot) against ``/proc/uptime`` (seconds since boot, same clock, 10 ms
resolution); elsewhere, or when those files say something implausible, it is the moment
this module was imported, which ``pglint.cli`` does first (so only the interpreter's own
start-up, some 20-50 ms, is missed).

``Clock.mark(phase)`` charges the time since the previous mark to a phase; the engine adds
what its workers spent reading, parsing, running rules and replaying histories.
"""

from __future__ import annotations

import os
import time

IMPORTED = time.perf_counter()


def _process_age() -> float | None:
    """Seconds since this process started, from /proc; None when not known."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        fields = stat[stat.rindex(b")") + 2:].split()  # the command name may hold spaces
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    age = uptime - started
    return age if 0.0 <= age < 60.0 else None  # a clock pglint does not understand: not used


def _start() -> tuple[float, str]:
    age = _process_age()
    if age is None:
        return IMPORTED, "import"
    return min(IMPORTED, time.perf_counter() - age), "process"


START, START_SOURCE = _start()

# the phases of a run, in the order they happen (the runner's workers fill in the middle ones)
PHASES = ("startup", "reading", "parsing", "history", "rules", "output")


def since_start() -> float:
    return time.perf_counter() - START


class Clock:
    """Phases of one run: ``mark(phase)`` charges the wall time since the last mark (or
    process start) to ``phase``."""

    def __init__(self) -> None:
        self.last = START
        self.wall: dict[str, float] = {}

    def mark(self, phase: str) -> None:
        now = time.perf_counter()
        self.wall[phase] = self.wall.get(phase, 0.0) + (now - self.last)
        self.last = now

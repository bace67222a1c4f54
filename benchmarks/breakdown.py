"""Where pglint's time goes: one in-process, single-worker, uncached run with timers at the
engine's seams, each phase counted without the phases it calls (exclusive time).

    python benchmarks/breakdown.py [PATHS...]      # default: ../shared/corpus

Phases: read (files and discovery), parse (splitting, the C parser, PL/pgSQL bodies, minus
decoding), decode (JSON to Python of statement trees), rules (every handler; the ten costliest
rules are listed), model (schema model and transaction/session state: the replay of each
statement), output (the JSON reporter), other (the rest: planning, suppressions, positions).
The timers wrap functions from outside (nothing in pglint changes), and cost a little
themselves: the total is a few percent above an untimed run.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Timers:
    """Exclusive time per key: a timed call's time is taken off the timed call around it."""

    def __init__(self) -> None:
        self.exclusive: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list] = []  # [key, time spent in timed children]

    def wrap(self, key, fn):
        clock = time.perf_counter
        stack = self._stack
        exclusive = self.exclusive
        calls = self.calls

        def timed(*args, **kwargs):
            frame = [key, 0.0]
            stack.append(frame)
            t = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                took = clock() - t
                stack.pop()
                exclusive[key] += took - frame[1]
                calls[key] += 1
                if stack:
                    stack[-1][1] += took

        timed.__wrapped__ = fn
        return timed


def install(t: Timers) -> None:
    from pglint.engine import checker, registry, runner
    from pglint.reporters import json_format
    from pglint.source import files, parsing

    runner.read_input = t.wrap("read", runner.read_input)
    runner.discover = t.wrap("read", runner.discover)
    checker.parse_source = t.wrap("parse", checker.parse_source)
    parsing.decode_statement = t.wrap("decode", parsing.decode_statement)
    checker._end = t.wrap("model", checker._end)
    checker._new_session = t.wrap("model", checker._new_session)
    checker._transaction = t.wrap("model", checker._transaction)
    json_format.render = t.wrap("output", json_format.render)
    del files

    load = registry.Rule.load

    def timed_load(self):
        was = self.loaded
        r = load(self)
        if not was:  # wrap each handler once, under the rule's name
            name = "rule " + self.name
            self.statement_handlers = {k: t.wrap(name, f) for k, f in self.statement_handlers.items()}
            self.node_handlers = {k: t.wrap(name, f) for k, f in self.node_handlers.items()}
            self.end_handlers = [t.wrap(name, f) for f in self.end_handlers]
        return r

    registry.Rule.load = timed_load


def main() -> int:
    paths = sys.argv[1:] or [str(ROOT.parent / "shared" / "corpus")]
    t = Timers()
    install(t)
    from pglint.cli import main as pglint_main

    total = t.wrap("other", pglint_main)
    start = time.perf_counter()
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"pglint-breakdown-{os.getpid()}.json")
    try:
        total(["--no-cache", "--isolated", "--jobs", "1", "--format", "json", "-o", out, *paths])
    finally:
        if os.path.exists(out):
            os.remove(out)
    wall = time.perf_counter() - start
    rules = {k: v for k, v in t.exclusive.items() if k.startswith("rule ")}
    phases = {k: v for k, v in t.exclusive.items() if not k.startswith("rule ")}
    phases["rules"] = sum(rules.values())
    buf = io.StringIO()
    buf.write(f"profile breakdown (one process, no cache): {wall:.2f} s\n")
    for k in ("read", "parse", "decode", "rules", "model", "output", "other"):
        v = phases.get(k, 0.0)
        buf.write(f"  {k:<8} {v:7.2f} s  {100 * v / wall:5.1f} %\n")
    buf.write("  costliest rules:\n")
    for k, v in sorted(rules.items(), key=lambda kv: -kv[1])[:10]:
        buf.write(f"    {k[5:]:<32} {v:6.2f} s  {100 * v / wall:5.1f} %  ({t.calls[k]} calls)\n")
    sys.stdout.write(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())

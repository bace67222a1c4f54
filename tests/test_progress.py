"""The progress bar, seen as a person sees it: pglint runs with stderr on a pseudo-terminal
(the stdlib pty module) over a migration history of several hundred files, and the test
reads what the terminal receives while the run goes on. The bar must be there during the
run (files and statements done, the file being linted), gone at the end, and absent when
stderr is a pipe or CI is set."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time

import pytest

from conftest import pglint_path

NFILES = 1000  # a run of 2-4 s here: the bar (after 0.5 s) must be seen moving, also on a faster machine
BAR = re.compile(r"(\d+)/(\d+) files .*?([\d,]+) statements? +(linting|reading|cached) (\S+)")


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A Flyway history (one unit: its files are linted in order by one worker, so results
    come back only at its end, which is why the bar used to show for a moment only)."""
    root = tmp_path_factory.mktemp("progress") / "db" / "migration"
    root.mkdir(parents=True)
    for i in range(1, NFILES + 1):
        prev = max(1, i - 1)
        (root / f"V{i}__step.sql").write_text("\n".join([
            f"CREATE TABLE t{i} (id int PRIMARY KEY, name text, at timestamp);",
            f"CREATE INDEX t{i}_name ON t{i} (name);",
            f"ALTER TABLE t{i} ADD COLUMN extra text NOT NULL DEFAULT 'x';",
            f"UPDATE t{i} SET name = 'a';",
            f"ALTER TABLE t{prev} ADD CONSTRAINT fk{i} FOREIGN KEY (id) REFERENCES t{i} (id);",
            f"CREATE VIEW v{i} AS SELECT * FROM t{i};",
            f"ALTER TABLE t{i} RENAME COLUMN name TO label;",
            f"DROP INDEX t{i}_name;",
        ]) + "\n")
    return root.parent.parent


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "TERM")}
    env.update(TERM="xterm-256color", COLUMNS="160", LINES="50", **extra)
    return env


def run_on_pty(args, env, cwd):
    """Run with stderr on a pseudo-terminal (stdout to a pipe, as `pglint ... | less`
    would not do: the bar is about stderr); returns (stdout, [(seconds, stderr chunk)], rc)."""
    master, slave = os.openpty()
    os.set_blocking(master, False)
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
    os.close(slave)
    chunks: list[tuple[float, str]] = []
    out = bytearray()
    fds = {master: "err", p.stdout.fileno(): "out"}
    deadline = t0 + 300
    while fds and time.monotonic() < deadline:
        r, _, _ = select.select(list(fds), [], [], 0.1)
        for fd in r:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                data = b""
            if not data:
                del fds[fd]
            elif fds[fd] == "err":
                chunks.append((time.monotonic() - t0, data.decode("utf-8", "replace")))
            else:
                out += data
        if not r and p.poll() is not None:
            break
    p.wait(timeout=60)
    os.close(master)
    p.stdout.close()
    return out.decode(), chunks, p.returncode, time.monotonic() - t0


def test_bar_shows_while_the_work_happens(history):
    args = [pglint_path(), "--isolated", "--no-cache", "--jobs", "2", "--format", "concise", "."]
    out, chunks, rc, took = run_on_pty(args, _env(), history)
    assert rc == 1 and "Traceback" not in out
    assert out.count(".sql:") > NFILES  # the report itself is on stdout, untouched
    seen = [(t, m) for t, c in chunks for m in BAR.finditer(re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", c))]
    assert seen, "no progress bar on the terminal: " + repr("".join(c for _, c in chunks)[:500])
    done = [int(m.group(1)) for _, m in seen]
    assert all(int(m.group(2)) == NFILES for _, m in seen)
    # it moved: several distinct counts, some in the middle of the run, not one flash at the end
    assert len(set(done)) >= 3, done
    assert any(0 < d < NFILES for d in done), done
    assert any(m.group(5).endswith("__step.sql") for _, m in seen)  # the file being linted
    assert any(int(m.group(3).replace(",", "")) > 0 for _, m in seen)  # statements done
    first, last = seen[0][0], seen[-1][0]
    assert first >= 0.3  # not drawn for the first half second
    assert last - first > 0.3, (first, last, took)  # on screen while the work went on


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bar_on_one_worker_and_several(history, jobs):
    args = [pglint_path(), "--isolated", "--no-cache", "--jobs", jobs, "--format", "concise", "."]
    _, chunks, rc, _ = run_on_pty(args, _env(), history)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", "".join(c for _, c in chunks))
    counts = {int(m.group(1)) for m in BAR.finditer(text)}
    assert rc == 1 and len(counts) >= 3, text[:300]


def test_no_bar_when_piped_or_in_ci(history):
    args = [pglint_path(), "--isolated", "--no-cache", "--format", "concise", "."]
    p = subprocess.run(args, capture_output=True, text=True, env=_env(), cwd=history)
    assert p.returncode == 1 and p.stdout.count(".sql:") > NFILES
    assert "files" not in p.stderr and "\x1b" not in p.stderr, p.stderr[:300]
    # a terminal, but in CI (a CI log is often a pseudo-terminal): no bar either
    _, chunks, rc, _ = run_on_pty(args, _env(CI="true"), history)
    assert rc == 1 and not any(BAR.search(c) or "files" in c for _, c in chunks), chunks[:3]
    # and not with --quiet
    _, chunks, rc, _ = run_on_pty(args + ["--quiet"], _env(), history)
    assert rc == 1 and not any("files" in c for _, c in chunks)

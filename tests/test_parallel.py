"""Linting in several processes (engine/runner.py, _lint_parallel): this process lints too,
forked workers claim the next unit from a shared counter and send their results back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import pglint_path


def _tree(d, files: int = 40, statements: int = 60) -> None:
    """Independent files (--no-history: each is a unit of its own), enough to go parallel."""
    d.mkdir()
    for n in range(1, files + 1):
        (d / f"f{n:03d}.sql").write_text("".join(
            f"ALTER TABLE t{n} ADD COLUMN c{i} int NOT NULL;\nCREATE INDEX i{n}_{i} ON t{n} (c{i});\n"
            for i in range(statements)) + "SELECT * FROM t WHERE x = NULL;\n", encoding="utf-8")


def _run(args, cwd=None):
    return subprocess.run([pglint_path(), "--isolated", "--no-cache", "--format", "json", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def test_parallel_findings_equal_the_serial_ones(tmp_path):
    _tree(tmp_path / "m")
    docs = []
    for jobs in ("1", "2", "3"):
        p = _run(["--no-history", "-j", jobs, str(tmp_path / "m")])
        assert p.returncode == 1, p.stderr[-2000:]
        doc = json.loads(p.stdout)
        docs.append(doc["diagnostics"])
    serial = docs[0]
    assert len(serial) > 40 * 60
    for diags in docs[1:]:
        assert diags == serial


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:  # the process (or one of its threads) ended meanwhile
        pass
    return out


def test_a_worker_that_dies_is_reported_not_waited_for(tmp_path):
    """A worker killed in the middle (say, by the kernel's out-of-memory killer) ends the run
    with a clear error instead of a hang or a report that silently lacks its files."""
    _tree(tmp_path / "m", files=60, statements=150)
    p = subprocess.Popen([pglint_path(), "--isolated", "--no-cache", "--no-history", "-j", "2",
                          str(tmp_path / "m")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    kids: list[int] = []
    # a worker that has run for a while holds a unit it claimed
    while time.time() < deadline and p.poll() is None and not (kids and _cpu_seconds(kids[0]) > 0.3):
        kids = _children(p.pid)
        time.sleep(0.02)
    if not kids or p.poll() is not None:
        p.kill()
        pytest.fail("no busy worker process was seen")
    os.kill(kids[0], signal.SIGKILL)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("pglint hung after its worker died")
    assert p.returncode == 2, (p.returncode, err[-2000:])
    assert "worker process stopped" in err, err[-2000:]
    assert "Traceback" not in out + err

"""Ctrl-C: a real SIGINT sent to a real pglint process prints "pglint: interrupted" and exits
130 (the shell's convention, 128 + SIGINT), never click's "Aborted." with exit 2 nor a
traceback, and leaves nothing behind: files --fix was working on keep their bytes, trace's
scratch databases are dropped (the temporary cluster's removal is in test_trace.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import psycopg
import pytest

from conftest import pglint_path


def _cpu_seconds(pid: int) -> float:
    """CPU time the process has used (utime + stime), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def _busy(pid: int, seconds: float = 1.0, workers: bool = False) -> bool:
    """The process (with workers: its worker processes) has used ``seconds`` of CPU."""
    try:
        if workers:
            kids = _children(pid)
            return bool(kids) and sum(_cpu_seconds(k) for k in kids) > seconds
        return _cpu_seconds(pid) > seconds
    except OSError:
        return False


def _reading_stdin(pid: int) -> bool:
    """The process is blocked reading its standard input (a pipe)."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            wchan = f.read()
        with open(f"/proc/{pid}/syscall") as f:
            call = f.read().split()
    except OSError:
        return False
    return "pipe" in wchan or (len(call) > 1 and call[0] in ("0", "63") and call[1] == "0x0")  # read(0, ...)


def _wait_for(cond, what: str, p: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if p.poll() is not None:
            out, err = p.communicate()
            pytest.fail(f"pglint ended (exit {p.returncode}) before {what}: {err[-2000:]}")
        if cond():
            return
        time.sleep(0.02)
    p.kill()
    pytest.fail(f"timed out waiting until {what}")


def _interrupt(p: subprocess.Popen) -> tuple[str, str]:
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        pytest.fail(f"pglint did not end after SIGINT: {err[-2000:]}")
    return out, err


def _assert_interrupted(p: subprocess.Popen, out: str, err: str) -> None:
    assert p.returncode == 130, (p.returncode, err[-2000:])
    assert err.strip().splitlines()[-1] == "pglint: interrupted", err[-2000:]
    assert "Aborted" not in err and "Traceback" not in out + err, err[-2000:]


def _big_history(d, files: int = 80, statements: int = 120) -> dict[str, bytes]:
    """A migration directory that takes pglint several seconds: many fixable findings."""
    d.mkdir()
    for n in range(1, files + 1):
        (d / f"{n:04d}_m.sql").write_text("".join(
            f"ALTER TABLE t{n} ADD COLUMN c{i} int;\nCREATE INDEX i{n}_{i} ON t{n} (c{i});\n"
            for i in range(statements)), encoding="utf-8")
    return {f.name: f.read_bytes() for f in sorted(d.iterdir())}


def test_ctrl_c_while_check_waits_for_stdin(tmp_path):
    p = subprocess.Popen([pglint_path(), "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        _wait_for(lambda: _reading_stdin(p.pid), "it reads stdin", p)
        out, err = _interrupt(p)
    finally:
        p.stdin.close()
    _assert_interrupted(p, out, err)


@pytest.mark.parametrize("args", [["--no-cache"], ["--no-cache", "--no-history", "-j", "2"]],
                         ids=["history", "parallel"])
def test_ctrl_c_while_check_lints_a_big_tree(tmp_path, args):
    _big_history(tmp_path / "m")
    # its own process group, signalled as a terminal does on Ctrl-C: the workers get it too
    p = subprocess.Popen([pglint_path(), *args, str(tmp_path / "m")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    _wait_for(lambda: _busy(p.pid, workers="-j" in args), "it is busy linting", p)
    os.killpg(p.pid, signal.SIGINT)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        pytest.fail("pglint did not end after SIGINT")
    _assert_interrupted(p, out, err)
    assert "ForkPoolWorker" not in err


def test_ctrl_c_during_fix_leaves_the_files_as_they_were(tmp_path):
    d = tmp_path / "m"
    before = _big_history(d)
    p = subprocess.Popen([pglint_path(), "--fix", "--no-cache", str(d)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _busy(p.pid), "it is busy fixing", p)
    out, err = _interrupt(p)
    _assert_interrupted(p, out, err)
    assert {f.name: f.read_bytes() for f in sorted(d.iterdir())} == before  # every byte, and no stray file


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers (a server that hangs)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.setblocking(False)
    accepted: list[socket.socket] = []
    yield s, accepted
    for c in accepted:
        c.close()
    s.close()


def _accepts(server) -> bool:
    s, accepted = server
    try:
        accepted.append(s.accept()[0])
    except BlockingIOError:
        pass
    return bool(accepted)


@pytest.mark.parametrize("command", ["check", "health"])
def test_ctrl_c_while_live_mode_connects(tmp_path, silent_server, command):
    (tmp_path / "pglint.toml").write_text('[live]\nconnect-timeout = "120s"\n')
    (tmp_path / "q.sql").write_text("SELECT 1;\n")
    port = silent_server[0].getsockname()[1]
    args = ["--dsn", f"postgresql://u@127.0.0.1:{port}/db"] + (["q.sql"] if command == "check" else [])
    p = subprocess.Popen([pglint_path(), command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=tmp_path)
    started = time.time()
    _wait_for(lambda: _accepts(silent_server), "it connects", p)
    time.sleep(0.3)  # waiting for the server's answer
    out, err = _interrupt(p)
    _assert_interrupted(p, out, err)
    assert time.time() - started < 60  # not the 120 s connect timeout


def test_ctrl_c_during_trace_on_a_server_drops_the_scratch_database(tmp_path, pg_cluster):
    d = tmp_path / "m"
    d.mkdir()
    for n in range(1, 400):
        (d / f"V{n}__t{n}.sql").write_text(f"CREATE TABLE t{n} (a int);\nINSERT INTO t{n} SELECT generate_series(1, 2000);\n"
                                          f"CREATE INDEX t{n}_a ON t{n} (a);\n")

    def scratch() -> list[str]:
        with psycopg.connect(pg_cluster.dsn, autocommit=True) as c:
            return [r[0] for r in c.execute("SELECT datname FROM pg_database WHERE datname LIKE 'pglint_trace_%'")]

    before = set(scratch())  # on the session's shared server: another test's are not this run's
    p = subprocess.Popen([pglint_path(), "trace", "--isolated", "--dsn", pg_cluster.dsn, str(d)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: bool(set(scratch()) - before), "the scratch database exists", p)
    time.sleep(1.0)  # well into the history
    out, err = _interrupt(p)
    _assert_interrupted(p, out, err)
    assert set(scratch()) == before

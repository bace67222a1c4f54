"""Nothing pglint writes can cost a file its content (issue 19, points 1 and 2).

- A write that fails (a full file system: a real 64 KB tmpfs, and a failure injected in the
  middle of the write) leaves the original's bytes as they were, says which file and why,
  exits 2, leaves no temporary file, and the other files of the run are still written.
- Through a symlink the target is replaced and the link stays a link; the mode and owner
  are kept. A report written with ``-o`` is replaced the same way.
- ``--fix`` never overwrites an edit made while it ran: whether the file changed after the
  lint read it or after it was read to be fixed, the edit stays, the file is named
  ("changed while pglint was fixing it; run again") and the exit code is 1. The end-to-end
  test edits the file from another thread the moment pglint (a subprocess) has read it,
  watched with inotify.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import pglint_path
from pglint.source.writing import TEMP_SUFFIX

INDEX = "CREATE INDEX i ON t (a);\n"
FIXED_INDEX = "CREATE INDEX CONCURRENTLY i ON t (a);\n"


def many_indexes(n: int) -> str:
    """``n`` CREATE INDEX statements: each gets 27 bytes longer when fixed."""
    return "".join(f"CREATE INDEX i{k} ON t (a);\n" for k in range(n))


def pglint(cwd, *args):
    p = subprocess.run([pglint_path(), "--isolated", "--no-cache", *args], capture_output=True, text=True, cwd=cwd)
    assert "Traceback" not in p.stdout + p.stderr and "internal error" not in p.stderr, p.stderr
    return p


def temp_files(*dirs) -> list[str]:
    return [n for d in dirs for n in os.listdir(d) if n.endswith(TEMP_SUFFIX)]


# -- 1. a write that fails changes nothing -----------------------------------------------------


@pytest.fixture
def small_fs(tmp_path):
    """A real 64 KB tmpfs (mounting needs root or CAP_SYS_ADMIN: skipped where not
    permitted; the injected failure below always runs)."""
    d = tmp_path / "small"
    d.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {p.stderr.strip()}")
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=True)


def test_fix_on_a_full_file_system_leaves_the_file_whole(small_fs):
    """The fixed text (71 KB) cannot fit: the original (36 KB) keeps every byte, the run
    says so and exits 2, and the small file of the same run is fixed."""
    big = small_fs / "big.sql"
    good = small_fs / "good.sql"
    original = many_indexes(1300).encode()
    big.write_bytes(original)
    good.write_text(INDEX)
    p = pglint(small_fs, "--fix", "big.sql", "good.sql")
    assert p.returncode == 2, p.stderr
    assert "pglint: error: cannot write big.sql: No space left on device; the file is unchanged" in p.stderr
    assert big.read_bytes() == original
    assert FIXED_INDEX in good.read_text()
    assert "Fixed 2 problems in 1 file." in p.stderr  # only what was written is counted
    assert temp_files(small_fs) == []


def test_report_on_a_full_file_system_keeps_the_previous_report(small_fs):
    """``-o`` replaces the report atomically too: the previous one survives a full disk."""
    report = small_fs / "report.html"
    report.write_text("<p>yesterday's report</p>\n")
    (small_fs / "filler").write_bytes(b"x" * (56 * 1024))  # about one page left
    sql = small_fs / "m.sql"
    sql.write_text(many_indexes(50))
    p = pglint(small_fs, "--format", "html", "-o", "report.html", "m.sql")
    assert p.returncode == 2, p.stderr
    assert "pglint: error: cannot write report.html: No space left on device; the file is unchanged" in p.stderr
    assert report.read_text() == "<p>yesterday's report</p>\n"
    assert temp_files(small_fs) == []


def test_a_write_failing_midway_leaves_the_file_whole(tmp_path, monkeypatch, capsys):
    """ENOSPC injected after half of big.sql's new bytes have been written (in process, so
    it runs wherever the tmpfs test cannot): same guarantees."""
    from pglint.cli import main

    big = tmp_path / "big.sql"
    good = tmp_path / "good.sql"
    original = many_indexes(40).encode()
    big.write_bytes(original)
    good.write_text(INDEX)
    temp_of_big: set[int] = set()  # descriptor of big.sql's temporary file, while it is written
    failed = []
    real_open, real_write = os.open, os.write

    def opening(path, flags, mode=0o777, **kw):
        fd = real_open(path, flags, mode, **kw)
        if os.path.basename(str(path)).startswith(".big.sql.") and str(path).endswith(TEMP_SUFFIX):
            temp_of_big.add(fd)
        return fd

    def write_then_fail(fd, data):
        if fd not in temp_of_big:
            return real_write(fd, data)
        if not failed:
            failed.append(fd)  # the first half goes through, the next write fails
            return real_write(fd, bytes(data[: len(data) // 2]))
        temp_of_big.discard(fd)  # (the number may be reused for the next file)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "open", opening)
    monkeypatch.setattr(os, "write", write_then_fail)
    rc = main(["--isolated", "--no-cache", "-j", "1", "--fix", str(big), str(good)])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert failed and not temp_of_big, "the injected failure was not reached"
    assert rc == 2, err
    assert f"pglint: error: cannot write {big}: No space left on device; the file is unchanged" in err
    assert "internal error" not in err
    assert big.read_bytes() == original
    assert FIXED_INDEX in good.read_text()
    assert temp_files(tmp_path) == []


def test_fix_through_a_symlink_replaces_the_target_and_keeps_mode_and_owner(tmp_path):
    real_dir = tmp_path / "real"
    link_dir = tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    target = real_dir / "m.sql"
    target.write_text(INDEX)
    target.chmod(0o640)
    owner = (4321, 4321) if os.geteuid() == 0 else None  # only root can give a file away
    if owner:
        os.chown(target, *owner)
    link = link_dir / "m.sql"
    link.symlink_to(target)
    p = pglint(link_dir, "--fix", "m.sql")
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert FIXED_INDEX in target.read_text()
    st = target.stat()
    assert st.st_mode & 0o7777 == 0o640
    if owner:
        assert (st.st_uid, st.st_gid) == owner
    assert temp_files(real_dir, link_dir) == []


def test_write_atomic_creates_a_new_file_with_the_usual_mode(tmp_path):
    """A report that did not exist gets the mode ``open`` would give it (umask applied)."""
    from pglint.source.writing import write_atomic

    old = os.umask(0o027)
    try:
        write_atomic(str(tmp_path / "new.txt"), b"x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640


# -- 2. an edit made while --fix runs is never overwritten ------------------------------------


def _lint_for(paths):
    """The ``lint(overlay, only)`` --fix runs (as ``pglint --isolated --fix PATHS``)."""
    from pglint.config.settings import load_settings
    from pglint.engine.runner import run_paths

    settings, _ = load_settings(isolated=True)

    def lint(overlay, only=None):
        return run_paths([str(p) for p in paths], settings, changed=only, history=True, statement_text=True,
                         use_cache=False, overlay={os.path.realpath(p): t for p, t in overlay.items()})

    return lint


EDITED = "-- saved in the editor meanwhile\nSELECT 1;\n" + INDEX


def test_an_edit_saved_after_the_file_was_read_is_not_overwritten(tmp_path):
    """The pieces of --fix in process: fixes computed, then the file is saved by someone
    else, then the write: it skips that file (the other is written)."""
    from pglint.cli.fix import run_fix, write_files

    a = tmp_path / "a.sql"
    b = tmp_path / "b.sql"
    a.write_text(INDEX)
    b.write_text(INDEX)
    _, rep = run_fix(_lint_for([a, b]), False)
    assert sorted(rep.changed) == sorted([str(a), str(b)])
    a.write_text(EDITED)
    done = write_files(rep)
    assert a.read_text() == EDITED
    assert FIXED_INDEX in b.read_text()
    assert done.changed == [str(a)] and done.written == [str(b)] and not done.failed
    assert done.exit_code() == 1
    assert done.messages() == [f"{a}: changed while pglint was fixing it; run again"]


def test_an_edit_saved_between_the_lint_and_the_read_is_not_fixed(tmp_path):
    """The file changes after the lint read it and before it is read to be fixed: the
    findings' offsets belong to the old text, so the file is not fixed at all."""
    from pglint.cli.fix import run_fix, write_files

    a = tmp_path / "a.sql"
    a.write_text(INDEX)
    lint = _lint_for([a])
    calls = []

    def lint_then_save(overlay, only=None):
        result = lint(overlay, only)
        if not calls:
            a.write_text(EDITED)  # saved by the editor as the first lint returns
        calls.append(only)
        return result

    _, rep = run_fix(lint_then_save, False)
    done = write_files(rep)
    assert a.read_text() == EDITED
    assert rep.stale == [str(a)] and rep.changed == []
    assert done.changed == [str(a)] and done.exit_code() == 1


IN_CLOSE_NOWRITE = 0x10


class ReadWatch:
    """inotify on one file: calls ``then()`` the first time a process closes it after
    reading it (that is, the moment pglint has read it)."""

    def __init__(self, path: Path, then):
        libc = ctypes.CDLL(None, use_errno=True)
        if not hasattr(libc, "inotify_init1"):
            pytest.skip("inotify is Linux only")
        self.fd = libc.inotify_init1(os.O_CLOEXEC)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        assert libc.inotify_add_watch(self.fd, os.fsencode(path), IN_CLOSE_NOWRITE) >= 0
        self.then = then
        self.fired = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        ready, _, _ = select.select([self.fd], [], [], 120)
        if ready:
            os.read(self.fd, 4096)
            self.then()
            self.fired.set()

    def close(self):
        os.close(self.fd)


def test_an_editor_saving_while_fix_runs_end_to_end(tmp_path):
    """pglint --fix (a subprocess) over a Flyway history; the moment it has read V1 (its
    first read of that file: Flyway names need no peek at the content), another thread
    saves an edit of V1, while pglint still lints the 300 files after it. The edit stays,
    V1 is named on stderr, the exit code is 1, and the other files are fixed."""
    d = tmp_path / "db"
    d.mkdir()
    v1 = d / "V1__first.sql"
    v1.write_text(INDEX)
    for k in range(2, 302):
        (d / f"V{k}__more.sql").write_text(f"CREATE INDEX i{k} ON t (a);\nALTER TABLE t ADD COLUMN b{k} int;\n")
    watch = ReadWatch(v1, lambda: v1.write_text(EDITED))
    try:
        p = pglint(tmp_path, "--fix", "db")
    finally:
        watch.close()
    assert watch.fired.is_set(), "pglint never read V1"
    assert v1.read_text() == EDITED
    assert "db/V1__first.sql: changed while pglint was fixing it; run again" in p.stderr
    assert p.returncode == 1, p.stderr
    assert "SET LOCAL lock_timeout" in (d / "V2__more.sql").read_text()  # the others are fixed

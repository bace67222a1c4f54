"""Writing files so that a failed write loses nothing.

Every file pglint writes (a fixed migration, a report given with ``-o``, the cache's
``.gitignore``) goes through :func:`write_atomic`: the new bytes go to a temporary file in
the same directory, which is flushed to disk, given the original's mode (and owner, where
the process may set it) and then renamed over the original; the directory is synced so the
rename survives a crash. A full disk, a quota, an I/O error or a kill leaves the original
as it was and no temporary file behind. Through a symlink, the link's target is replaced
and the link stays a link. A target that is not a regular file (``-o /dev/stdout``, a FIFO)
is written in place: it has no content to lose.
"""

from __future__ import annotations

import io
import os
import stat

TEMP_SUFFIX = ".pglint-tmp"  # temporary files: .NAME.<random>.pglint-tmp (hidden: never linted)
UNCHANGED = "the file is unchanged"
NOT_CREATED = "nothing was written"


class WriteError(Exception):
    """A file could not be written; what was there before is unchanged."""

    def __init__(self, path: str, reason: str, after: str | None = UNCHANGED) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason
        self.after = after  # what became of the file (None: not known, e.g. a device)

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}" + (f"; {self.after}" if self.after else "")


class ChangedMeanwhile(Exception):
    """The file on disk is no longer what was read: someone edited it meanwhile."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def write_atomic(path: str, data: bytes, expect: bytes | None = None) -> None:
    """Replace the file at ``path`` with ``data``, all or nothing. ``expect``: the bytes the
    file must still hold just before it is replaced (else :class:`ChangedMeanwhile` and the
    file is left alone). Raises :class:`WriteError` naming ``path`` and the reason."""
    target = os.path.realpath(path)
    before = _stat(target)
    if before is not None and not stat.S_ISREG(before.st_mode):
        _write_in_place(path, target, data)
        return
    directory = os.path.dirname(target) or "."
    try:
        fd, tmp = _create_temp(directory, os.path.basename(target), before is None)
    except OSError as exc:  # the directory is not writable, or full
        why = f"cannot create a temporary file in {directory}: {_reason(exc)}"
        raise WriteError(path, why, _after(before)) from None
    try:
        _fill(fd, data, before)
        if expect is not None and _current_bytes(target) != expect:
            raise ChangedMeanwhile(path)
        os.replace(tmp, target)
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, OSError):
            raise WriteError(path, _reason(exc), _after(before)) from None
        raise
    _sync_directory(directory)


def write_report(path: str, render) -> None:
    """``render(out)`` writes text to a stream; the text (UTF-8; undecodable file names
    replaced) becomes the file ``path``, atomically."""
    buf = io.StringIO()
    render(buf)
    write_atomic(path, buf.getvalue().encode("utf-8", "replace"))


# -- the steps ---------------------------------------------------------------------------------


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return None  # not reachable now: creating the temporary file will say why


def _create_temp(directory: str, name: str, new: bool) -> tuple[int, str]:
    """An empty file of our own beside the target. A new file gets the mode ``open`` would
    give it (0o666 less the umask); a replacement starts private and gets the original's."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{os.urandom(4).hex()}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, flags, 0o666 if new else 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


def _fill(fd: int, data: bytes, before: os.stat_result | None) -> None:
    """Owner and mode of the original, then the data, flushed to disk; the descriptor is
    closed either way."""
    try:
        if before is not None and hasattr(os, "fchmod"):  # (POSIX)
            _copy_owner(fd, before)
            os.fchmod(fd, stat.S_IMODE(before.st_mode))
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_owner(fd: int, before: os.stat_result) -> None:
    """The original's owner and group, where this process may give them (root, or a group
    the user is in); otherwise the new file is the user's, as any editor would leave it."""
    now = os.fstat(fd)
    if (now.st_uid, now.st_gid) == (before.st_uid, before.st_gid):
        return
    try:
        os.fchown(fd, before.st_uid, before.st_gid)
    except PermissionError:
        try:
            os.fchown(fd, -1, before.st_gid)
        except PermissionError:
            pass


def _current_bytes(path: str) -> bytes | None:
    """What the file holds now (None: it is gone)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _write_in_place(path: str, target: str, data: bytes) -> None:
    try:
        with open(target, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise WriteError(path, _reason(exc), None) from None


def _sync_directory(directory: str) -> None:
    """Make the rename durable; a file system that cannot sync a directory is left as is."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _after(before: os.stat_result | None) -> str:
    return UNCHANGED if before is not None else NOT_CREATED


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)

"""Finding the files to lint and reading them.

Paths may be files, directories (walked for ``*.sql``, hidden folders skipped,
symlink loops detected), globs, or ``-`` for stdin. Files come out in migration order:
natural sort, so ``V2__x.sql`` comes before ``V10__x.sql``.
"""

from __future__ import annotations

import fnmatch
import functools
import glob
import hashlib
import os
import re
import stat
from dataclasses import dataclass

from .text import SourceText

_DIGITS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=1 << 16)
def natural_key(s: str) -> tuple:
    """Sort key comparing digit runs as numbers: V2 < V10, 2_x < 10_x (cached: the
    directory names of a tree repeat in every path)."""
    parts = _DIGITS.split(s)
    return tuple((1, int(p), p) if i % 2 else (0, p.lower(), p) for i, p in enumerate(parts))


_SEPARATORS = re.compile(r"[\\/]")


def path_key(path: str):
    return [natural_key(p) for p in _SEPARATORS.split(path)]


@dataclass(frozen=True, slots=True)
class Input:
    path: str  # as shown in reports (as given on the command line, or below it)
    real: str | None  # filesystem path; None for stdin


class UsageError(Exception):
    """A path that does not exist, or similar: exit code 2."""


def discover(paths: list[str], include=("*.sql",), is_excluded=None, stdin_name: str | None = None,
             resolved: dict[str, str] | None = None) -> list[Input]:
    """Expand command-line paths into files, deduplicated, in migration order.
    ``resolved``: the real paths found so far in this run (see realpath_cached), filled in."""
    found: list[Input] = []
    seen: set[str] = set()
    missing: list[str] = []
    if resolved is None:
        resolved = {}

    def add(display: str, real: str | None, link: bool | None = None) -> None:
        key = realpath_cached(real, resolved, link) if real is not None else "<stdin>"
        if key in seen:
            return
        seen.add(key)
        found.append(Input(display, real))

    for arg in paths:
        if arg == "-":
            add(stdin_name or "<stdin>", None)
            continue
        # one lstat per named file (thousands are common: pre-commit, a file list)
        try:
            st = os.lstat(arg)
        except (OSError, ValueError):
            st = None
        link = st is not None and stat.S_ISLNK(st.st_mode)
        if st is not None and (stat.S_ISDIR(st.st_mode) or (link and os.path.isdir(arg))):
            for p in sorted(_walk(arg, include, is_excluded), key=path_key):
                add(p, p)
        elif st is not None:  # a file, or a symlink (even a broken one)
            if is_excluded is None or not is_excluded(arg):
                add(arg, arg, link)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True), key=path_key)
            if not matches:
                missing.append(arg)
            for m in matches:
                if os.path.isdir(m):
                    for p in sorted(_walk(m, include, is_excluded), key=path_key):
                        add(p, p)
                elif is_excluded is None or not is_excluded(m):
                    add(m, m)
        else:
            missing.append(arg)
    if missing:
        raise UsageError("no such file or directory: " + ", ".join(missing))
    # migration order across everything given (stdin first); the sort is stable
    found.sort(key=lambda i: path_key(i.path) if i.real is not None else [])
    return found


def realpath_cached(path: str, resolved: dict[str, str], link: bool | None = None) -> str:
    """os.path.realpath, remembered in ``resolved`` (path -> real path, for files and
    directories alike, for one run): a path that is not a symlink is its resolved directory
    plus its name, so a tree of thousands of files costs one lstat per file and directory
    instead of one per path component, and a path asked again costs nothing. ``link``: whether ``path`` is
    a symlink, when the caller knows it already (None: look)."""
    real = resolved.get(path)
    if real is not None:
        return real
    head, tail = os.path.split(path)
    if not tail or tail in (".", "..") or (os.path.islink(path) if link is None else link):
        real = os.path.realpath(path)
    else:
        real = os.path.join(realpath_cached(head or ".", resolved), tail)
    resolved[path] = real
    return real


def _walk(top: str, include, is_excluded):
    visited: set[tuple[int, int]] = set()
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            st = os.stat(d)
        except OSError:
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in visited:
            continue  # a symlink loop
        visited.add(ident)
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            if e.name.startswith("."):
                continue
            p = os.path.join(d, e.name)
            if is_excluded is not None and is_excluded(p):
                continue
            try:
                is_dir = e.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if is_dir:
                stack.append(p)
            elif any(fnmatch.fnmatchcase(e.name, pat) for pat in include):
                yield p


# -- reading -------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"


def decode(data: bytes, path: str) -> tuple[SourceText | None, str | None]:
    """(text, None) or (None, reason the file cannot be linted)."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return None, "UTF-16 encoded file (save it as UTF-8)"
    if b"\x00" in data:
        return None, "binary file (contains NUL bytes)"
    had_bom = data.startswith(_BOM)
    if had_bom:
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.start + 1].hex()
        return None, f"not valid UTF-8: byte 0x{bad} at line {line}, column {col} (byte {exc.start + (3 if had_bom else 0)})"
    return SourceText(path, text, had_bom), None


def head_text(path: str, n: int = 4096) -> str | None:
    """The first ``n`` bytes of a file as text (undecodable bytes replaced), or None when it
    cannot be read: for peeking at a migration or a tool's file beside it."""
    try:
        with open(path, "rb") as f:
            return f.read(n).decode("utf-8", "replace")
    except OSError:
        return None


def read_input(item: Input, stdin_bytes: bytes | None = None,
               overlay: dict[str, str] | None = None) -> tuple[SourceText | None, str | None]:
    """The file's text, or why it cannot be linted. ``overlay``: texts (by real path) that
    replace what is on disk, e.g. a file being fixed."""
    if item.real is None:
        return decode(stdin_bytes or b"", item.path)
    if overlay:
        text = overlay.get(os.path.realpath(item.real))  # keys are real paths
        if text is not None:
            return SourceText(item.path, text), None
    data, problem = read_bytes(item.real)
    if data is None:
        return None, problem
    return decode(data, item.path)


def read_bytes(path: str) -> tuple[bytes | None, str | None]:
    """A regular file's bytes, or why they cannot be read."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            # a FIFO would block forever; a device or socket is not a migration
            return None, "not a regular file"
        with open(path, "rb") as f:
            return f.read(), None
    except IsADirectoryError:
        return None, "is a directory"
    except PermissionError:
        return None, "permission denied"
    except FileNotFoundError:
        return None, "file disappeared before it could be read"
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"


def text_digest(text: str) -> str:
    """A short fingerprint of a text: tells whether a file still holds what was linted."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

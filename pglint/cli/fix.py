"""``--fix``, ``--unsafe-fixes``, ``--diff`` and ``--add-ignore``: editing files.

Each round lints the files (with their history, as a normal run does), applies every
applicable fix that does not overlap another, and checks that the file still parses; a fix
that would leave a statement unparsable is dropped and reported. Rounds repeat until
nothing changes (bounded). Files are written once, at the end, keeping their BOM and line
endings; ``--diff`` writes nothing and prints what would change.

Nothing is lost on the way: a file is fixed only if it still holds the text the lint saw,
and written (atomically, :func:`pglint.source.writing.write_atomic`) only if it still holds
the bytes read to fix it; a file edited meanwhile is left as the editor saved it and
reported. A write that fails leaves the file as it was.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ..engine.diagnostics import Diagnostic
from ..engine.fixes import MAX_ROUNDS, apply_edits, choose, unified_diff
from ..source.files import decode, read_bytes, text_digest
from ..source.parsing import parse_file
from ..source.text import SourceText, line_start
from ..source.writing import ChangedMeanwhile, WriteError, write_atomic

CHANGED_MEANWHILE = "changed while pglint was fixing it; run again"


@dataclass
class FixReport:
    original: dict[str, str] = field(default_factory=dict)  # path -> text before
    fixed: dict[str, str] = field(default_factory=dict)  # path -> text after
    bom: dict[str, bool] = field(default_factory=dict)
    snapshot: dict[str, bytes] = field(default_factory=dict)  # path -> the bytes read to edit it
    counts: dict[str, int] = field(default_factory=dict)  # path -> fixes (or suppressions) applied
    stale: list[str] = field(default_factory=list)  # edited after the lint read them: left alone
    rejected: list[tuple[str, Diagnostic, str]] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return [p for p, t in self.fixed.items() if t != self.original[p]]

    @property
    def applied(self) -> int:
        return sum(self.counts.values())


def read_to_edit(rep: FixReport, fr) -> SourceText | None:
    """The text of ``fr``'s file, read to be edited; its bytes are kept in ``rep.snapshot``
    (the file is written only if it still holds them). None when it cannot be read, or when
    it no longer holds the text the lint saw: the findings' offsets are those of another
    text, so it is left alone and reported (``rep.stale``)."""
    data, _ = read_bytes(fr.path)
    src = decode(data, fr.path)[0] if data is not None else None
    if src is None:
        return None
    if fr.digest is not None and text_digest(src.text) != fr.digest:
        rep.stale.append(fr.path)
        return None
    rep.snapshot[fr.path] = data
    rep.bom[fr.path] = src.had_bom
    return src


def linter(paths, settings, kw: dict):
    """The ``lint(overlay, only)`` that :func:`run_fix` calls: pglint over ``paths`` with the
    texts of ``overlay`` (path -> text) in place of the files, reporting only the real paths
    in ``only`` (all when None). ``kw``: run_paths's other arguments."""
    from ..engine.runner import run_paths

    def lint(overlay, only=None):
        args = dict(kw)
        if only is not None:
            args["changed"] = only if kw["changed"] is None else kw["changed"] & only
        return run_paths(paths, settings, overlay={os.path.realpath(p): t for p, t in overlay.items()},
                         use_cache=False, **args)

    return lint


def _broken(text: str) -> int:
    """How many statements of ``text`` PostgreSQL's parser rejects."""
    return len(parse_file(SourceText("x", text)).errors)


def _key(d: Diagnostic):
    return (d.rule, d.message)


def run_fix(lint, unsafe: bool) -> tuple[object, FixReport]:
    """Fix to a fixed point. ``lint(overlay, only)`` runs pglint with the given texts in
    place of the files (reporting only the files in ``only``, all when None) and returns a
    RunResult; after the first round only the files that changed are linted again.

    A fix may uncover another finding (a lock_timeout set for the first section of a file
    shows the second section needs one too), so rounds go on while they change something.
    Fixes that bring a file back to a text it already had, or still change it after
    MAX_ROUNDS, do not converge: that file is left as it was and the fixes are reported."""
    rep = FixReport()
    skip: dict[str, set] = {}
    seen: dict[str, set[str]] = {}  # path -> every text the file had so far
    last: dict[str, list[Diagnostic]] = {}  # path -> the fixes of its latest round
    started = time.perf_counter()
    result = lint(rep.fixed, None)
    latest = {fr.path: fr for fr in result.files}
    order = [fr.path for fr in result.files]
    done: set[str] = set()  # files given up on
    touched: set[str] = set()
    for _ in range(MAX_ROUNDS):
        touched = set()
        for fr in result.files:
            path = fr.path
            if fr.unreadable or path == "-" or path in done or not os.path.isfile(path):
                continue
            chosen = [d for d in choose(fr.diagnostics, unsafe, set()) if _key(d) not in skip.get(path, set())]
            if not chosen:
                continue
            if path not in rep.fixed:
                src = read_to_edit(rep, fr)
                if src is None:
                    continue
                rep.original[path] = rep.fixed[path] = src.text
                seen[path] = {src.text}
            text = rep.fixed[path]
            before = _broken(text)
            new = apply_edits(text, chosen)
            if _broken(new) > before:
                # find the fixes that break parsing, one at a time
                good = []
                for d in chosen:
                    if _broken(apply_edits(text, good + [d])) > before:
                        rep.rejected.append((path, d, "the fixed statement would not parse"))
                        skip.setdefault(path, set()).add(_key(d))
                    else:
                        good.append(d)
                chosen = good
                new = apply_edits(text, good)
            if new == text:
                continue
            if new in seen[path]:
                _give_up(rep, path, chosen, done, "the fixes undo each other")
                continue
            seen[path].add(new)
            rep.fixed[path] = new
            rep.counts[path] = rep.counts.get(path, 0) + len(chosen)
            last[path] = chosen
            touched.add(path)
        if not touched:
            break
        result = lint(rep.fixed, {os.path.realpath(p) for p in touched})
        latest.update({fr.path: fr for fr in result.files})
    else:
        for path in touched:
            _give_up(rep, path, last[path], done, f"the file still changes after {MAX_ROUNDS} rounds")
    if done:  # report what the files given up on really contain
        result = lint(rep.fixed, {os.path.realpath(p) for p in done})
        latest.update({fr.path: fr for fr in result.files})
    result.files = [latest[p] for p in order if p in latest]
    result.elapsed = time.perf_counter() - started  # every round, not only the last lint
    return result, rep


def _give_up(rep: FixReport, path: str, chosen, done: set, why: str) -> None:
    """Leave ``path`` as it was and report the fixes that would not settle."""
    rep.fixed[path] = rep.original[path]
    rep.counts.pop(path, None)
    done.add(path)
    for d in chosen:
        rep.rejected.append((path, d, why))


@dataclass
class Written:
    """What became of the files to write."""

    written: list[str] = field(default_factory=list)
    failed: list[WriteError] = field(default_factory=list)  # each: the file is unchanged
    changed: list[str] = field(default_factory=list)  # edited meanwhile: left as they are

    @property
    def unwritten(self) -> list[str]:
        return [e.path for e in self.failed] + self.changed

    def messages(self) -> list[str]:
        return [f"pglint: error: {e}" for e in self.failed] + [f"{p}: {CHANGED_MEANWHILE}" for p in self.changed]

    def exit_code(self) -> int | None:
        """2 when a write failed, 1 when a file was edited meanwhile, else None."""
        return 2 if self.failed else 1 if self.changed else None


def write_files(rep: FixReport) -> Written:
    """Write every changed file, each on its own: a failure or a file edited since it was
    read does not stop the others."""
    out = Written(changed=list(rep.stale))
    for path in rep.changed:
        try:
            write_atomic(path, _encoded(rep, path), expect=rep.snapshot.get(path))
        except WriteError as exc:
            out.failed.append(exc)
        except ChangedMeanwhile:
            out.changed.append(path)
        else:
            out.written.append(path)
    return out


def _encoded(rep: FixReport, path: str) -> bytes:
    data = rep.fixed[path].encode("utf-8")
    return b"\xef\xbb\xbf" + data if rep.bom.get(path) else data


def diffs(rep: FixReport) -> str:
    return "".join(unified_diff(p, rep.original[p], rep.fixed[p]) for p in rep.changed)


# -- --add-ignore ----------------------------------------------------------------------------

NOT_SUPPRESSIBLE = frozenset({"unreadable-file", "unused-suppression"})  # an ignore comment cannot silence them


def add_ignores(result) -> FixReport:
    """Write ``-- pglint: ignore[...] TODO: reason`` above every statement with findings,
    so an old tree can adopt pglint and only new findings fail."""
    rep = FixReport()
    for fr in result.files:
        path = fr.path
        if fr.unreadable or path == "-" or not os.path.isfile(path):
            continue
        if path.endswith(".py"):
            _add_python_ignores(rep, fr)
            continue
        by_start: dict[int, list[str]] = {}
        src = pf = None
        for d in fr.diagnostics:
            if d.rule in NOT_SUPPRESSIBLE or d.statement_start is None:
                continue
            if src is None:
                src = read_to_edit(rep, fr)
                if src is None:
                    break
                pf = parse_file(src)
            at = suppression_anchor(src, d.statement_start, pf)
            names = by_start.setdefault(at, [])
            if d.rule not in names:
                names.append(d.rule)
        if src is None or not by_start:
            continue
        text = src.text
        out = text
        for at in sorted(by_start, reverse=True):
            ls = line_start(text, at)
            if text[ls:at].strip():
                # code before the statement on its line: a comment above the line would
                # silence that code's statement, so the line is broken before this one
                start, end, line = ignore_comment_own_line(text, at, by_start[at])
                out = out[:start] + line + out[end:]
            else:
                ls, line = ignore_comment_insertion(text, at, by_start[at])
                out = out[:ls] + line + out[ls:]
        rep.original[path] = text
        rep.fixed[path] = out
        rep.counts[path] = sum(len(v) for v in by_start.values())
    return rep


IGNORE_REASON = "TODO: give the reason"


def _add_python_ignores(rep: FixReport, fr) -> None:
    """--add-ignore in a Python module: ``# pglint: ignore[...]`` lines above the Python
    statements holding findings (pglint/python/lint.py reads them there)."""
    import ast

    from ..python.lint import ignore_anchor, ignore_insertion

    diags = [d for d in fr.diagnostics if d.rule not in NOT_SUPPRESSIBLE]
    if not diags:
        return
    src = read_to_edit(rep, fr)
    if src is None:
        return
    text = src.text
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    by_line: dict[int, list[str]] = {}
    for d in diags:
        names = by_line.setdefault(ignore_anchor(text, d.line, tree), [])
        if d.rule not in names:
            names.append(d.rule)
    out = text
    for line in sorted(by_line, reverse=True):
        at, comment = ignore_insertion(text, line, by_line[line])
        out = out[:at] + comment + out[at:]
    rep.original[fr.path] = text
    rep.fixed[fr.path] = out
    rep.counts[fr.path] = sum(len(v) for v in by_line.values())


def ignore_comment_insertion(text: str, at: int, rules) -> tuple[int, str]:
    """Where and what to insert for a ``-- pglint: ignore[rules]`` comment above the
    statement starting at ``at`` (an offset from ``suppression_anchor``): the start of its line, and a
    whole line with the statement's indentation and the file's line ending. Shared by
    --add-ignore and the language server's "ignore for this statement" action."""
    nl = "\r\n" if "\r\n" in text else "\n"
    ls = line_start(text, at)
    indent = text[ls:at] if not text[ls:at].strip() else ""
    return ls, f"{indent}-- pglint: ignore[{', '.join(sorted(rules))}] {IGNORE_REASON}{nl}"


def ignore_comment_own_line(text: str, at: int, rules) -> tuple[int, int, str]:
    """For a statement that shares its line with code before it (``SELECT 1; CREATE INDEX
    ...``), where a comment above the line would apply to the first statement instead: an
    edit (start, end, text) breaking the line before the statement and putting the comment
    on a line of its own there. Used by the language server when the usual place does not
    reach the statement."""
    nl = "\r\n" if "\r\n" in text else "\n"
    ws = at
    while ws > 0 and text[ws - 1] in " \t":
        ws -= 1
    return ws, at, f"{nl}-- pglint: ignore[{', '.join(sorted(rules))}] {IGNORE_REASON}{nl}"


def suppression_anchor(src: SourceText, start: int, pf=None) -> int:
    """Where the comment goes: the statement's own line, unless the statement sits in a
    '...'-quoted function body (comments there are not read): then its enclosing statement.
    ``pf``: the file parsed already (parsed here otherwise)."""
    if pf is None:
        pf = parse_file(src)
    for s in pf.statements:
        b = s.body
        if b is not None and b[2] and b[0] <= start < b[1]:
            return s.start
    return start

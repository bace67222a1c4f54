"""``--fix``, ``--unsafe-fixes``, ``--diff`` and ``--add-ignore``: editing files.

Each round lints the files (with their history, as a normal run does), applies every
applicable fix that does not overlap another, and checks that the file still parses; a fix
that would leave a statement unparsable is dropped and reported. Rounds repeat until
nothing changes (bounded). Files are written once, at the end, keeping their BOM and line
endings; ``--diff`` writes nothing and prints what would change.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ..engine.diagnostics import Diagnostic
from ..engine.fixes import MAX_ROUNDS, apply_edits, choose, unified_diff
from ..source.files import Input, read_input
from ..source.parsing import parse_file
from ..source.text import SourceText, line_start


@dataclass
class FixReport:
    original: dict[str, str] = field(default_factory=dict)  # real path -> text before
    fixed: dict[str, str] = field(default_factory=dict)  # real path -> text after
    bom: dict[str, bool] = field(default_factory=dict)
    applied: int = 0
    rejected: list[tuple[str, Diagnostic, str]] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return [p for p, t in self.fixed.items() if t != self.original[p]]


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
    applied: dict[str, int] = {}
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
                src, _ = read_input(Input(path, path))
                if src is None:
                    continue
                rep.original[path] = rep.fixed[path] = src.text
                rep.bom[path] = src.had_bom
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
                _give_up(rep, path, chosen, applied, done, "the fixes undo each other")
                continue
            seen[path].add(new)
            rep.fixed[path] = new
            applied[path] = applied.get(path, 0) + len(chosen)
            last[path] = chosen
            touched.add(path)
        if not touched:
            break
        result = lint(rep.fixed, {os.path.realpath(p) for p in touched})
        latest.update({fr.path: fr for fr in result.files})
    else:
        for path in touched:
            _give_up(rep, path, last[path], applied, done, f"the file still changes after {MAX_ROUNDS} rounds")
    if done:  # report what the files given up on really contain
        result = lint(rep.fixed, {os.path.realpath(p) for p in done})
        latest.update({fr.path: fr for fr in result.files})
    rep.applied = sum(applied.values())
    result.files = [latest[p] for p in order if p in latest]
    result.elapsed = time.perf_counter() - started  # every round, not only the last lint
    return result, rep


def _give_up(rep: FixReport, path: str, chosen, applied, done: set, why: str) -> None:
    """Leave ``path`` as it was and report the fixes that would not settle."""
    rep.fixed[path] = rep.original[path]
    applied.pop(path, None)
    done.add(path)
    for d in chosen:
        rep.rejected.append((path, d, why))


def write_files(rep: FixReport) -> None:
    for path in rep.changed:
        data = rep.fixed[path].encode("utf-8")
        if rep.bom.get(path):
            data = b"\xef\xbb\xbf" + data
        with open(path, "wb") as f:
            f.write(data)


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
        by_start: dict[int, list[str]] = {}
        src = pf = None
        for d in fr.diagnostics:
            if d.rule in NOT_SUPPRESSIBLE or d.statement_start is None:
                continue
            if src is None:
                src, _ = read_input(Input(path, path))
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
        rep.bom[path] = src.had_bom
        rep.applied += sum(len(v) for v in by_start.values())
    return rep


IGNORE_REASON = "TODO: give the reason"


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

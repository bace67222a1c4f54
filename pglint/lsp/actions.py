"""Code actions and hover text, computed from a :class:`~pglint.lsp.lint.Linted` document.

Actions are plain data here (edits as str offsets into the linted text); the server turns
them into LSP WorkspaceEdits with positions in the client's encoding. Nothing here imports
pygls.

- the rule's fix: safe fixes are preferred quick fixes, unsafe ones say so in their title,
  display-only fixes are never offered as an edit; a fix that would leave a statement
  unparsable is not offered (as ``--fix`` drops it);
- "Ignore RULE for this statement": a ``-- pglint: ignore[RULE] TODO: give the reason`` line
  above the statement, where ``--add-ignore`` puts it (the shared helpers of
  ``pglint.cli.fix``), or RULE added to the ignore comment already there;
- "Ignore RULE in this file": RULE added to the file's ``-- pglint: ignore-file[...]``
  comment, or such a comment inserted at the top of the file;
- "Fix all safe pglint problems" (``source.fixAll.pglint``): one round of ``--fix``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.diagnostics import DISPLAY_ONLY, SAFE, UNSAFE, Diagnostic
from ..reporters._common import FIX_WORDING
from .lint import Linted

QUICKFIX = "quickfix"
FIX_ALL = "source.fixAll.pglint"


@dataclass
class Action:
    title: str
    kind: str
    edits: list[tuple[int, int, str]]  # (start, end, new text), str offsets
    diagnostics: list[Diagnostic] = field(default_factory=list)
    preferred: bool = False
    disabled: str | None = None  # why the action cannot be applied (display-only fixes)


def overlapping(linted: Linted, start: int, end: int) -> list[Diagnostic]:
    """The diagnostics whose span touches [start, end] (a cursor touches a span it is in or
    at either end of)."""
    return [d for d in linted.diagnostics if d.start <= end and start <= max(d.end, d.start)]


def code_actions(linted: Linted, start: int, end: int, wanted=lambda kind: True) -> list[Action]:
    diags = overlapping(linted, start, end)
    out: list[Action] = []
    state = _State(linted)
    if wanted(QUICKFIX):
        for d in diags:
            a = _fix_action(state, d)
            if a is not None:
                out.append(a)
        seen_stmt: set[tuple[str, int]] = set()
        seen_file: set[str] = set()
        python = (linted.path or "").endswith(".py")
        for d in diags:
            if not _suppressible(d):
                continue
            if python:  # a Python module: a # comment above the Python statement
                a = _ignore_python(state, d)
                if a is not None and (d.rule, a.edits[0][0]) not in seen_stmt:
                    seen_stmt.add((d.rule, a.edits[0][0]))
                    out.append(a)
                continue
            if d.statement_start is not None:
                a = _ignore_statement(state, d)
                if a is not None and (d.rule, a.edits[0][0]) not in seen_stmt:
                    seen_stmt.add((d.rule, a.edits[0][0]))
                    out.append(a)
            if d.rule not in seen_file:
                seen_file.add(d.rule)
                a = _ignore_file(state, d)
                if a is not None:
                    out.append(a)
    if wanted(FIX_ALL):
        a = fix_all(state)
        if a is not None:
            out.append(a)
    return out


def _suppressible(d: Diagnostic) -> bool:
    from ..cli.fix import NOT_SUPPRESSIBLE

    return d.rule not in NOT_SUPPRESSIBLE


class _State:
    """The document, parsed once on demand for the actions of one request."""

    def __init__(self, linted: Linted) -> None:
        self.linted = linted
        self.text = linted.text
        self._src = None
        self._broken: dict[str, int] = {}
        self._directives = None

    @property
    def src(self):
        if self._src is None:
            from ..source.text import SourceText

            self._src = SourceText(self.linted.path or "untitled.sql", self.text)
        return self._src

    def broken(self, text: str) -> int:
        """How many statements of ``text`` PostgreSQL's parser rejects."""
        n = self._broken.get(text)
        if n is None:
            from ..source.parsing import parse_file
            from ..source.text import SourceText

            n = self._broken[text] = len(parse_file(SourceText("x", text), self.linted.patterns).errors)
        return n

    def reaches(self, edit: tuple[int, int, str], d: Diagnostic) -> bool:
        """Whether the ignore comment that ``edit`` writes (or extends) applies to the
        statement of ``d``, by the engine's own attachment rules (engine/suppression.py)."""
        from ..engine.suppression import Target, attach, parse_directives
        from ..source.parsing import parse_file
        from ..source.text import SourceText

        s, e, t = edit
        new = self.text[:s] + t + self.text[e:]
        src = SourceText("x", new)
        pf = parse_file(src, self.linted.patterns)
        stmts = list(pf.all_statements())
        index = {id(st): i for i, st in enumerate(stmts)}
        # the targets as lint_source numbers them: statements, then top-level syntax errors
        targets = [Target(i, st.start, st.end, src.position(st.start)[0],
                          index.get(id(st.parent)) if st.parent is not None else None)
                   for i, st in enumerate(stmts)]
        for p in pf.errors:
            if p.embedded_in is None:
                targets.append(Target(len(targets), p.start, p.end, src.position(p.start)[0], None))
        directives = [x for x in parse_directives(pf.sql, pf.all_comments()) if x.kind == "ignore" and not x.squawk]
        attach(directives, targets, lambda off: src.position(off)[0])
        parents = {tg.index: tg.parent for tg in targets}
        chain = []
        i = d.statement
        while i is not None and i not in chain:
            chain.append(i)
            i = parents.get(i)
        return any(d.rule in x.rules and x.start <= s + len(t) and s <= x.end and x.targets.intersection(chain)
                   for x in directives)

    @property
    def directives(self):
        """The file's ``-- pglint:`` comments."""
        if self._directives is None:
            from ..engine.suppression import parse_directives
            from ..source.parsing import parse_file

            pf = parse_file(self.src, self.linted.patterns)
            self._directives = [d for d in parse_directives(pf.sql, pf.all_comments()) if not d.squawk]
        return self._directives


def _fix_action(state: _State, d: Diagnostic) -> Action | None:
    from ..engine.fixes import apply_edits

    fix = d.fix
    if fix is None or not fix.edits:
        return None
    if fix.applicability == DISPLAY_ONLY:
        return Action(f"{fix.title} ({FIX_WORDING[DISPLAY_ONLY]})", QUICKFIX, [], [d],
                      disabled="pglint shows this fix but never applies it (see the rule's page)")
    if fix.applicability not in (SAFE, UNSAFE):
        return None
    text = state.text
    if state.broken(apply_edits(text, [d])) > state.broken(text):
        return None  # the fixed statement would not parse
    # the CLI's wording (reporters/_common.py), so that the editor and the report agree
    title = f"{fix.title} ({d.rule}; {FIX_WORDING[fix.applicability]})"
    return Action(title, QUICKFIX, [(e.start, e.end, e.text) for e in fix.edits], [d],
                  preferred=fix.applicability == SAFE)


def _ignore_statement(state: _State, d: Diagnostic) -> Action | None:
    """The first placement whose comment really applies to the diagnostic's statement: the
    ignore comment just above it extended, a new comment line where --add-ignore puts it, or
    (the statement shares its line with code before it) a line of its own before it."""
    from ..cli.fix import ignore_comment_insertion, ignore_comment_own_line, suppression_anchor

    text = state.text
    at = suppression_anchor(state.src, d.statement_start)
    candidates = []
    merged = _merge_into_comment(state, "ignore", d.rule, above=state.src.line_index(at))
    if merged is not None:
        candidates.append(merged)
    ls, line = ignore_comment_insertion(text, at, [d.rule])
    candidates.append((ls, ls, line))
    if text[ls:at].strip():
        candidates.append(ignore_comment_own_line(text, at, [d.rule]))
    for edit in candidates:
        if state.reaches(edit, d):
            return Action(f"Ignore {d.rule} for this statement", QUICKFIX, [edit], [d])
    return None


def _ignore_python(state: _State, d: Diagnostic) -> Action | None:
    from ..python.lint import ignore_anchor, ignore_insertion

    at, line = ignore_insertion(state.text, ignore_anchor(state.text, d.line), [d.rule])
    return Action(f"Ignore {d.rule} for this statement", QUICKFIX, [(at, at, line)], [d])


def _ignore_file(state: _State, d: Diagnostic) -> Action | None:
    from ..cli.fix import IGNORE_REASON

    title = f"Ignore {d.rule} in this file"
    merged = _merge_into_comment(state, "ignore-file", d.rule)
    if merged is not None:
        return Action(title, QUICKFIX, [merged], [d])
    text = state.text
    nl = "\r\n" if "\r\n" in text else "\n"
    at = 1 if text.startswith("\ufeff") else 0
    return Action(title, QUICKFIX, [(at, at, f"-- pglint: ignore-file[{d.rule}] {IGNORE_REASON}{nl}")], [d])


def _merge_into_comment(state: _State, kind: str, rule: str, above: int | None = None):
    """An edit adding ``rule`` to an existing ``-- pglint: KIND[...]`` comment: for
    ``ignore``, the comment alone on the line just above line ``above`` (0-based); for
    ``ignore-file``, the first one in the file. None when there is none to extend."""
    src = state.src
    text = state.text
    for dv in state.directives:
        if dv.kind != kind:
            continue
        if above is not None:
            line = src.line_index(dv.start)
            if line != above - 1 or text[src.line_starts[line]:dv.start].strip():
                continue
        if rule in dv.rules:
            return None  # already named there (and yet reported: do not pretend)
        body = text[dv.start:dv.end]
        i = body.find("[")
        j = body.find("]", i + 1) if i >= 0 else -1
        if j < 0:
            continue
        inner = body[i + 1:j]
        if not inner.strip():
            return (dv.start + i + 1, dv.start + j, rule)
        k = len(inner.rstrip())
        return (dv.start + i + 1 + k, dv.start + i + 1 + k, f", {rule}")
    return None


def fix_all(state: _State) -> Action | None:
    """Every safe, non-overlapping fix whose result still parses (one round of --fix)."""
    from ..engine.fixes import apply_edits, choose

    text = state.text
    chosen = choose(state.linted.diagnostics, False, set())
    if not chosen:
        return None
    before = state.broken(text)
    if state.broken(apply_edits(text, chosen)) > before:
        good: list[Diagnostic] = []
        for d in chosen:
            if state.broken(apply_edits(text, good + [d])) <= before:
                good.append(d)
        chosen = good
    if not chosen:
        return None
    edits = [(e.start, e.end, e.text) for d in chosen for e in d.fix.edits]
    n = len(chosen)
    return Action(f"Fix all safe pglint problems ({n} fix{'es' if n != 1 else ''})", FIX_ALL, edits, chosen)


# -- hover -------------------------------------------------------------------------------------


def hover_markdown(diags: list[Diagnostic]) -> str | None:
    """The rule page of each diagnostic (rules/<name>.md, shipped in the package), headed
    by the diagnostic's message."""
    from ..docs import rule_page
    from ..engine.registry import all_rules

    if not diags:
        return None
    rules = all_rules()
    parts = []
    seen = set()
    for d in diags:
        r = rules.get(d.rule)
        head = f"**{d.rule}** ({d.code}) · {d.severity}: {d.message}"
        if d.help:
            head += f"\n\n{d.help}"
        if d.rule in seen:
            parts.append(head)
            continue
        seen.add(d.rule)
        page = rule_page(d.rule)
        if page is None:
            page = f"{r.summary}\n\n[{d.rule}]({r.url})" if r is not None else ""
        elif r is not None:
            page = f"{page.rstrip()}\n\n[Rule page]({r.url})"
        parts.append(f"{head}\n\n---\n\n{page}" if page else head)
    return "\n\n---\n\n".join(parts)

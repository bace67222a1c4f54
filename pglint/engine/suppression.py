"""Suppression comments, read from the lexer's comment tokens (never by a regex over the
raw text, which would misfire inside strings and function bodies).

    -- pglint: ignore[rule-a, rule-b] reason     the next statement (or this one, when the
                                                 comment ends its first line)
    -- pglint: ignore-file[rule-a] reason        the whole file
    -- pglint: no-transaction                    this file does not run in a transaction
    -- squawk-ignore rule-a, rule-b              with squawk-compat = true
    -- squawk-ignore-file [rule-a]               with squawk-compat = true
    -- atlas:nolint [DS103 MF103 destructive]    with compat = ["atlas"]: the next statement;
                                                 in the file's header, followed by a blank
                                                 line, the whole file; without codes, every
                                                 Atlas check pglint maps
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from .registry import UnknownRule, resolve

_DIRECTIVE = re.compile(r"^\s*pglint:\s*(ignore-file|ignore|no-transaction)\b\s*(?:\[([^\]]*)\])?\s*(.*?)\s*$", re.S)
# squawk rule names contain hyphens; a reason may follow after " --"
_ATLAS = re.compile(r"^\s*atlas:nolint(?![\w:-])\s*(.*?)\s*$", re.S)
_BLANK_LINE_AFTER = re.compile(r"[ \t]*\r?\n[ \t]*\r?\n")
_SQUAWK = re.compile(r"^\s*squawk-ignore(-file)?(?![\w-])\s*(.*?)\s*(?:(?<=\s)--.*)?$", re.S)


@dataclass(slots=True)
class Directive:
    kind: str  # ignore | ignore-file | no-transaction
    start: int  # the comment's span
    end: int
    rules: dict[str, str] = field(default_factory=dict)  # rule name -> token as written
    unknown: list[str] = field(default_factory=list)
    reason: str = ""
    targets: set[int] = field(default_factory=set)  # statement indexes (ignore only)
    used: set[str] = field(default_factory=set)
    squawk: bool = False
    atlas: bool = False  # an atlas:nolint comment (written for Atlas: never reported unused)
    blanket: bool = False  # squawk-ignore-file without rule names: every mapped rule


def _comment_body(text: str) -> str:
    if text.startswith("--"):
        return text[2:]
    if text.startswith("/*"):
        body = text[2:]
        return body[:-2] if body.endswith("*/") else body
    return text


def _in_header(sql: str, comments, k: int) -> bool:
    """Comment ``k`` comes before any statement and a blank line follows it (Atlas's file
    directives)."""
    s, e = comments[k]
    prev = 0
    for cs, ce in comments[:k]:
        if sql[prev:cs].strip():
            return False
        prev = ce
    return not sql[prev:s].strip() and _BLANK_LINE_AFTER.match(sql, e) is not None


def parse_directives(sql: str, comments, squawk_map: dict[str, list[str]] | None = None,
                     atlas: bool = False) -> list[Directive]:
    out: list[Directive] = []
    comments = list(comments or ())
    for k, (s, e) in enumerate(comments):
        body = _comment_body(sql[s:e])
        if "pglint" in body:
            m = _DIRECTIVE.match(body)
            if m is None:
                continue
            kind, names, reason = m.group(1), m.group(2), m.group(3)
            d = Directive(kind, s, e, reason=reason or "")
            if kind != "no-transaction":
                if names is None or not names.strip():
                    d.unknown.append("")  # a blanket ignore: rejected, it would hide everything
                else:
                    for tok in names.split(","):
                        tok = tok.strip()
                        if not tok:
                            continue
                        try:
                            for r in resolve(tok):
                                d.rules[r.name] = tok
                        except UnknownRule:
                            d.unknown.append(tok)
            out.append(d)
        elif atlas and "atlas:nolint" in body:
            m = _ATLAS.match(body)
            if m is None:
                continue
            from .atlas_compat import all_mapped, atlas_rules

            kind = "ignore-file" if _in_header(sql, comments, k) else "ignore"
            d = Directive(kind, s, e, atlas=True)
            names = [t for t in re.split(r"[\s,]+", m.group(1)) if t]
            if not names:
                d.blanket = True
                for name in all_mapped():
                    d.rules[name] = ""
            for tok in names:
                mapped = atlas_rules(tok)
                if mapped is None:
                    d.unknown.append(tok)
                for name in mapped or ():
                    d.rules[name] = tok
            out.append(d)
        elif squawk_map is not None and "squawk-ignore" in body:
            m = _SQUAWK.match(body)
            if m is None:
                continue
            kind = "ignore-file" if m.group(1) else "ignore"
            d = Directive(kind, s, e, squawk=True)
            names = [t.strip() for t in m.group(2).split(",") if t.strip()]
            if not names and kind == "ignore-file":
                names = list(squawk_map)  # squawk-ignore-file without rules: every squawk rule
                d.blanket = True
            for tok in names:
                mapped = squawk_map.get(tok)
                if mapped is None:
                    d.unknown.append(tok)
                else:
                    for name in mapped:
                        d.rules[name] = tok
            out.append(d)
    return out


@dataclass(slots=True)
class Target:
    """Something a suppression can attach to: a statement or a syntax error."""

    index: int
    start: int
    end: int
    first_line: int
    parent: int | None


def attach(directives: list[Directive], targets: list[Target], line_of) -> None:
    """Decide which statement each ``ignore`` directive applies to."""
    targets = sorted(targets, key=lambda t: (t.start, -t.end))
    starts = [t.start for t in targets]
    by_index = {t.index: t for t in targets}
    for d in directives:
        if d.kind != "ignore":
            continue
        line = line_of(d.start)
        # trailing comment on the first line of one or more statements
        same = [t for t in targets if t.first_line == line and t.start < d.start and t.parent is None]
        if not same:
            same = [t for t in targets if t.first_line == line and t.start < d.start]
        if same:
            d.targets.update(t.index for t in same)
            continue
        k = bisect_left(starts, d.end)
        nxt = targets[k] if k < len(targets) else None
        container = None
        for t in targets:
            if t.start <= d.start < t.end:
                if container is None or t.start >= container.start:
                    container = t
        if container is not None:
            if nxt is not None and _descends(nxt, container.index, by_index) and nxt.start < container.end:
                d.targets.add(nxt.index)
            else:
                d.targets.add(container.index)
        elif nxt is not None:
            d.targets.add(nxt.index)


def _descends(t: Target, ancestor: int, by_index: dict[int, Target]) -> bool:
    p = t.parent
    while p is not None:
        if p == ancestor:
            return True
        p = by_index[p].parent if p in by_index else None
    return False


def is_suppressed(diag, directives: list[Directive], parents: dict[int, int | None]) -> bool:
    """Apply the directives to one diagnostic; marks the directives that were used."""
    hit = False
    chain = []
    s = diag.statement
    while s is not None:
        chain.append(s)
        s = parents.get(s)
    for d in directives:
        if diag.rule not in d.rules:
            continue
        if d.kind == "ignore-file" or (d.kind == "ignore" and any(c in d.targets for c in chain)):
            d.used.add(diag.rule)
            hit = True
    return hit

"""Go ``text/template`` branches that choose a database dialect.

Multi-dialect Go migration trees (Mattermost's focalboard and morph, and others built on
golang-migrate) keep one file for PostgreSQL, MySQL and SQLite and choose the text with
template conditions: ``{{if .postgres}}JSON{{else}}TEXT{{end}}``,
``) {{if .mysql}}DEFAULT CHARACTER SET utf8mb4{{end}};``. PostgreSQL only ever receives the
branches a PostgreSQL run takes. Read as text, the other branches are MySQL or SQLite that
PostgreSQL never sees: false syntax errors and false findings.

``prepare_go_template`` blanks (spaces, line breaks kept, so every offset stays where it
is) the branches whose condition is known to be false for PostgreSQL, and the template actions
of every ``if`` it resolved. A condition is known when it is made only of dialect flags
(``.postgres``, ``.mysql``, ``.sqlite`` ...) with ``not``, ``and``, ``or`` and parentheses.
Any other condition (``.plugin``, ``doesColumnExist "t" "c"``) depends on the run: its block is
left as it is, every branch read, as before. The remaining actions are template placeholders
(lexer.DEFAULT_PLACEHOLDERS) like any other.

Actions that write nothing are blanked too, once a file has such branches: comments
(``{{/* ... */}}``) and the control actions of the blocks left as they are (``{{if .plugin}}``,
``{{else}}``, ``{{end}}``, ``{{range ...}}``); as stand-in identifiers they were glued to the
statement that follows and made it a false syntax error. An action alone on its line that
calls a function (``{{ addColumnIfNeeded "t" "c" "int" "" }}``) writes SQL pglint cannot see:
it is blanked and named in a note, never reported as a syntax error.
"""

from __future__ import annotations

import bisect
import re

# {{ action }}, with the trim markers {{- and -}} (a comment {{/* ... */}}: see _actions)
_ACTION = re.compile(r"\{\{-?\s*([^{}]*?)\s*-?\}\}")
_COMMENT_END = re.compile(r"\*/\s*-?\}\}")
_COMMENT_START = re.compile(r"\{\{-?\s*/\*")
_TRUE = frozenset({"postgres", "postgresql", "pg", "pgsql", "ispostgres", "ispostgresql"})
_FALSE = frozenset({"mysql", "mariadb", "sqlite", "sqlite3", "mssql", "sqlserver", "oracle",
                    "ismysql", "ismariadb", "issqlite", "ismssql"})
_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPENS_BLOCK = ("if", "range", "with", "block", "define")
# a file is read as a Go template when it has one of its comments, control actions or function
# calls (a name, a space, then a string, field, variable or parenthesis: Jinja calls use f(...))
_GO_ACTION = re.compile(r"\{\{-?\s*(?:/\*|(?:if|else|end|range|with|define)\b|[A-Za-z_]\w*\s+[\"`.$(])")
_CONTROL = frozenset({"if", "else", "end", "range", "with", "define", "break", "continue"})
_FUNCTION = re.compile(r"[A-Za-z_]\w*$")


def prepare_go_template(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` with the branches PostgreSQL never receives and the actions that write
    nothing blanked, and notes (offset, text) on the actions that write SQL pglint cannot
    see (see the module)."""
    if "{{" not in text or _GO_ACTION.search(text) is None:
        return text, []
    blank: list[tuple[int, int]] = []  # actions that write nothing, or whose SQL pglint cannot see
    notes: list[tuple[int, str]] = []
    dead: list[tuple[int, int]] = []  # the branches a PostgreSQL run does not take
    # each open block: [its action's word, list of (action start, action end, condition value or None)]
    stack: list[list] = []
    for start, end, body in _actions(text):
        comment = body.startswith("/*")
        word = body.split(None, 1)[0] if body and not comment else ""
        if comment or word in _CONTROL:
            blank.append((start, end))  # writes nothing
        elif _FUNCTION.match(word) and word not in ("not", "and", "or") and _alone_on_its_lines(text, start, end):
            blank.append((start, end))
            notes.append((start, f"the SQL that the template action {' '.join(text[start:end].split())} writes "
                                  "when the migration runs"))
        if word == "if":
            stack.append(["if", [(start, end, _condition(body[2:]))]])
        elif word in _OPENS_BLOCK:
            stack.append([word, [(start, end, None)]])
        elif word == "else" and stack and stack[-1][0] == "if":
            rest = body[4:].strip()
            value = _condition(rest[2:]) if rest.split(None, 1)[:1] == ["if"] else True
            stack[-1][1].append((start, end, value))
        elif word == "end" and stack:
            kind, branches = stack.pop()
            if kind == "if":
                _resolve(branches, (start, end), dead)
    dead = _union(dead)
    if dead and notes:  # an action in a branch PostgreSQL does not receive writes nothing it runs
        notes = [(at, note) for at, note in notes if not _inside(at, dead)]
    out, last = [], 0
    for s, e in _union(blank + dead):
        out.append(text[last:s])
        out.append(_NOT_A_LINE_BREAK.sub(" ", text[s:e]))
        last = e
    out.append(text[last:])
    return "".join(out), notes


_NOT_A_LINE_BREAK = re.compile(r"[^\r\n]")


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans merged where they overlap, in order."""
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _inside(at: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``at`` falls in one of ``spans`` (disjoint, in order)."""
    k = bisect.bisect_right(spans, (at, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= at < spans[k][1]


def _actions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, body) of each action in order; a comment's body is "/* ... */" (it may
    span lines and hold braces). Linear: the end of a comment is searched once for all the
    comments that open before it."""
    out = []
    comments = []
    close = None  # the first "*/ }}" at or after the position searched from
    for m in _COMMENT_START.finditer(text):
        if comments and m.start() < comments[-1][1]:
            continue  # inside the comment before
        if close is None or close.start() < m.end():
            close = _COMMENT_END.search(text, m.end())
            if close is None:
                break  # no comment closes after this point
        comments.append((m.start(), close.end()))
    k = 0
    for m in _ACTION.finditer(text):
        while k < len(comments) and comments[k][1] <= m.start():
            out.append(_comment(text, *comments[k]))
            k += 1
        if k < len(comments) and comments[k][0] <= m.start() < comments[k][1]:
            continue  # part of a comment
        out.append((m.start(), m.end(), m.group(1)))
    out += [_comment(text, s, e) for s, e in comments[k:]]
    return out


def _comment(text: str, s: int, e: int) -> tuple[int, int, str]:
    return s, e, text[s:e].strip("{}- \t\r\n")


def _alone_on_its_lines(text: str, start: int, end: int) -> bool:
    """Nothing but blanks before the action on its first line and after it on its last."""
    before = text.rfind("\n", 0, start) + 1
    after = text.find("\n", end)
    return not text[before:start].strip() and not text[end:len(text) if after < 0 else after].strip()


def _resolve(branches: list[tuple[int, int, bool | None]], end: tuple[int, int], dead: list) -> None:
    """Add to ``dead`` the branches of one if/else-if/else chain a PostgreSQL run does not
    take, when every condition up to the taken branch is known. ``branches``: (action start,
    action end, condition) in order (an ``else`` is True)."""
    taken = None
    for k, (_s, _e, value) in enumerate(branches):
        if value is None:
            return  # depends on more than the dialect: every branch stays
        if value:
            taken = k
            break
    bounds = [(s, e) for s, e, _v in branches] + [end]
    for k in range(len(branches)):
        if k != taken:
            dead.append((bounds[k][1], bounds[k + 1][0]))


def _condition(expr: str) -> bool | None:
    """The value of a template condition for a PostgreSQL run: True, False, or None (not known)."""
    if expr.count("(") > 32:  # not a condition anyone writes: not read (and no deep recursion)
        return None
    tokens = _TOKEN.findall(expr)
    value, rest = _expr(tokens)
    return value if rest == [] else None


def _expr(tokens: list[str]):
    """(value, tokens left) of a pipeline ``not|and|or arg ...`` or one operand; value None: not
    known; tokens left None: cannot be read (the whole condition is then not known)."""
    if not tokens:
        return None, None
    head = tokens[0]
    if head in ("not", "and", "or"):
        args, rest = [], tokens[1:]
        while rest and rest[0] != ")":
            v, rest = _operand(rest)
            if rest is None:
                return None, None
            args.append(v)
        if head == "not":
            if len(args) != 1:
                return None, None
            return (None if args[0] is None else not args[0]), rest
        if not args:
            return None, None
        return _kleene(head, args), rest
    return _operand(tokens)


def _operand(tokens: list[str]):
    if not tokens:
        return None, None
    t = tokens[0]
    if t == "(":
        v, rest = _expr(tokens[1:])
        if not rest or rest[0] != ")":
            return None, None
        return v, rest[1:]
    if t == ")":
        return None, None
    name = t[1:].lower() if t.startswith(".") and "." not in t[1:] else None
    if name in _TRUE:
        return True, tokens[1:]
    if name in _FALSE:
        return False, tokens[1:]
    if t.startswith(".") or t.startswith("$"):
        return None, tokens[1:]  # another flag of the run: not known
    return None, None  # a function call (doesColumnExist ...): the whole condition is not known


def _kleene(op: str, args: list) -> bool | None:
    if op == "and":
        if any(a is False for a in args):
            return False
        return True if all(a is True for a in args) else None
    if any(a is True for a in args):
        return True
    return False if all(a is False for a in args) else None

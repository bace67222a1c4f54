"""Diagnostics, fixes and severities: plain value objects shared by rules and reporters."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}

# the most a finding's first line should take (issue 20: one sentence that fits a line)
MESSAGE_WIDTH = 120

# How a fix may be applied (ruff's model).
SAFE = "safe"  # keeps meaning: applied by --fix
UNSAFE = "unsafe"  # changes behaviour: applied by --fix --unsafe-fixes
DISPLAY_ONLY = "display-only"  # shown, never applied


@dataclass(frozen=True, slots=True)
class Edit:
    start: int  # str offsets into the file's text
    end: int
    text: str

    def __reduce__(self):  # pickled by position: the cache reads many (dataclass state is slower)
        return (Edit, (self.start, self.end, self.text))

    def to_json(self, pos=None) -> dict:
        d = {"start": self.start, "end": self.end, "text": self.text}
        if pos is not None:
            (sl, sc), (el, ec) = pos(self.start), pos(self.end)
            d.update(line=sl, column=sc, end_line=el, end_column=ec)
        return d


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    applicability: str = SAFE

    def __reduce__(self):
        return (Fix, (self.title, self.edits, self.applicability))

    def to_json(self, pos=None) -> dict:
        return {
            "title": self.title,
            "applicability": self.applicability,
            "edits": [e.to_json(pos) for e in self.edits],
        }


@dataclass(slots=True)
class Diagnostic:
    rule: str
    code: str
    severity: str
    message: str
    help: str | None
    path: str
    start: int
    end: int
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    fix: Fix | None = None
    statement: int | None = None  # index of the statement that produced it
    source_lines: tuple[str, ...] = ()  # the lines of the span, for code frames
    statement_text: str | None = None
    relation: str | None = None  # "schema.table" the finding is about (locks, rewrites)
    extra: dict = field(default_factory=dict)  # e.g. live-mode table size
    # -- for reporters (sarif, gitlab, html) ---------------------------------------
    # statement_text (above), statement_start (its offset) and statement_position (its
    # 1-based line and column) are filled in only when the output format asks for them
    # (RunOptions.statement_text); edit_positions holds, for each edit of ``fix``, its
    # ((line, column), (end_line, end_column)) in the file.
    statement_start: int | None = None
    statement_position: tuple[int, int] | None = None
    edit_positions: tuple = ()
    rollback: bool = False  # from a rollback file or down section (counted in the summary)
    # the why (what the lock blocks, what breaks): a second paragraph after the one-sentence
    # ``message``; reporters show it once per rule per run
    explanation: str | None = None

    def sort_key(self):
        return (self.start, self.end, self.code, self.message)

    @property
    def where(self) -> str:
        """``path:line:column``; the path alone for a finding with no position in a file
        (line 0: a database object of ``pglint health``, whose path is its URI)."""
        return f"{self.path}:{self.line}:{self.column}" if self.line > 0 else self.path

    def __reduce__(self):
        return (Diagnostic, tuple(getattr(self, f) for f in _DIAGNOSTIC_FIELDS))

    def to_json(self, pos=None) -> dict:
        # reporters/json_format._Items writes these fields as text, in this order: change both
        d = {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "help": self.help,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fix": self.fix.to_json(pos) if self.fix else None,
        }
        if self.explanation:
            d["explanation"] = self.explanation
        if self.extra:
            d["extra"] = self.extra
        return d


_DIAGNOSTIC_FIELDS = tuple(Diagnostic.__dataclass_fields__)  # in the order __init__ takes them
# __reduce__ passes every field positionally: each must be an __init__ parameter
assert all(f.init and not f.kw_only for f in Diagnostic.__dataclass_fields__.values())


# -- rows: a diagnostic as a tuple of plain values (the result cache stores these) ---------
# Fields in _DIAGNOSTIC_FIELDS order, with the fix as (title, ((start, end, text), ...),
# applicability) and each string through ``same`` (str -> the equal str met first), so that
# a pickle of many rows stores each repeated string (a rule's explanation and help, the
# path) once. Reading rows back builds no object but the Diagnostic (and its Fix).

_FIX_AT = _DIAGNOSTIC_FIELDS.index("fix")
_TEXT_NAMES = tuple(f for f in _DIAGNOSTIC_FIELDS
                    if f in ("rule", "code", "severity", "message", "help", "path", "statement_text", "relation",
                             "explanation"))
_LINES_AT = _DIAGNOSTIC_FIELDS.index("source_lines")


def share_strings(d: Diagnostic, same: dict) -> None:
    """Make the diagnostic's texts the equal strings met first (``same``: str -> str), so
    that many findings hold one copy of a rule's explanation and help, and of the path."""
    for f in _TEXT_NAMES:
        v = getattr(d, f)
        if v is not None:
            setattr(d, f, same.setdefault(v, v))


def to_row(d: Diagnostic, same: dict) -> tuple:
    share_strings(d, same)
    row = [getattr(d, f) for f in _DIAGNOSTIC_FIELDS]
    if row[_LINES_AT]:
        row[_LINES_AT] = tuple(same.setdefault(v, v) for v in row[_LINES_AT])
    fix = d.fix
    if fix is not None:
        row[_FIX_AT] = (same.setdefault(fix.title, fix.title), tuple((e.start, e.end, e.text) for e in fix.edits),
                        fix.applicability)
    return tuple(row)


def from_row(row: tuple) -> Diagnostic:
    fix = row[_FIX_AT]
    if fix is None:
        return Diagnostic(*row)
    title, edits, applicability = fix
    d = Diagnostic(*row)
    d.fix = Fix(title, tuple(Edit(*e) for e in edits), applicability)
    return d

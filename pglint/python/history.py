"""Alembic and Django migration directories as migration histories.

Each migration file becomes the SQL its tool sends, statement after statement: the text of
``op.execute(...)`` / ``RunSQL(...)`` as written (read by the Python reader, reader.py,
which maps every character back to the .py file), and the DDL each ``op.*`` call or Django
operation emits (alembic_ops.py, django_ops.py). That SQL is linted with the migration
rules, the files replayed in the tool's order into one schema model (engine/runner.py:
plan_units groups the directories with python_histories, _lint_unit reads each file through
Reader, as for .sql histories). A finding is placed in the .py file:
in the string for SQL the user wrote, on the call for a statement pglint built, whose
message then names the call and the statement it emits.

How each part runs: a section of the file per transaction. Alembic's upgrade() runs in a
transaction, a ``with op.get_context().autocommit_block():`` block outside one;
downgrade() is a rollback. A Django migration runs in a transaction unless its class sets
``atomic = False``; reverse_sql is a rollback.
"""

from __future__ import annotations

import ast
import os
from bisect import bisect_right
from dataclasses import dataclass

from ..model.txmodes import ASSUMED
from ..source import tool_transactions as tool_tx
from ..source.layouts import FORWARD, Entry, History
from ..source.text import SourceText
from . import alembic_ops, django_ops
from .ddl import AUTOCOMMIT, Piece, Translation
from .migrations import ALEMBIC, DJANGO, MigrationModule, order, recognise

LAYOUTS = (ALEMBIC, DJANGO)


# -- layout ----------------------------------------------------------------------------


def _read_text(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def detect(d: str, items) -> History | None:
    """The Alembic or Django history of the .py files of directory ``d`` (the other .py
    files stay standalone: application code)."""
    mods: dict[str, list[tuple[object, MigrationModule]]] = {ALEMBIC: [], DJANGO: []}
    for it in items:
        if not it.path.endswith(".py"):
            continue
        text = _read_text(it.real)
        if text is None or ("down_revision" not in text and "Migration" not in text):
            continue  # not worth parsing: application code
        m = recognise(it.path, text)
        if m is not None:
            mods[m.kind].append((it, m))
    kind = max(LAYOUTS, key=lambda k: len(mods[k]))
    found = mods[kind]
    if not found:
        return None
    by_path = {m.path: it for it, m in found}
    o = order([m for _, m in found])
    entries = []
    for m in o.modules:
        if kind == ALEMBIC:
            tx = tool_tx.ALEMBIC
        else:
            # atomic not a literal: pglint does not know whether it runs in a transaction
            tx = {True: tool_tx.DJANGO, False: tool_tx.DJANGO_NON_ATOMIC}.get(m.atomic, tool_tx.UNKNOWN)
        entries.append(Entry(by_path[m.path], FORWARD, version=(m.revision or m.name or ""), tx=tx))
    h = History(d, kind, entries)
    h.notice = o.notice
    return h


def python_histories(inputs) -> tuple[list[History], list]:
    """The Alembic / Django histories among Python files (grouped by directory), and the
    files that are in none (application code)."""
    by_dir: dict[str, list] = {}
    rest = []
    for it in inputs:
        if it.real is None:
            rest.append(it)
        else:
            by_dir.setdefault(os.path.dirname(it.path) or ".", []).append(it)
    histories = []
    for d, items in by_dir.items():
        h = detect(d, items)
        claimed = {e.input.path for e in h.entries} if h is not None else set()
        if h is not None:
            histories.append(h)
        rest.extend(i for i in items if i.path not in claimed)
    return histories, rest


# -- source ------------------------------------------------------------------------------


@dataclass
class Segment:
    start: int  # span in the SQL text
    end: int
    piece: Piece
    call_start: int  # span of the call in the .py text
    call_end: int
    offsets: list[int] | None = None  # .py offset of each SQL character (SQL the user wrote)
    section: int = 0
    site: object = None  # the reader's Site of SQL the user wrote


class MigrationSource(SourceText):
    """The SQL a Python migration sends, as one text whose positions are those of the .py
    file (line_text gives the .py lines: code frames show the Python)."""

    __slots__ = ("py", "segments", "_starts", "section_tx", "translation", "module", "pymod", "parse_text", "subs")

    def __init__(self, py: SourceText, sql: str, segments: list[Segment], section_tx: dict,
                 translation: Translation, module: MigrationModule, pymod=None, written: str | None = None,
                 subs=()) -> None:
        # the text is the SQL as the code shows it (``{user_id}``, ``%s``); the parser reads
        # ``sql``, where those are stand-ins of the same length
        super().__init__(py.path, written if written is not None else sql)
        self.parse_text = sql
        self.subs = list(subs)
        self.py = py
        self.segments = segments
        self._starts = [s.start for s in segments]
        self.section_tx = section_tx
        self.translation = translation
        self.module = module
        self.pymod = pymod  # the reader's PyModule

    def segment(self, offset: int) -> Segment | None:
        k = bisect_right(self._starts, offset) - 1
        return self.segments[k] if k >= 0 else (self.segments[0] if self.segments else None)

    def py_offset(self, offset: int) -> int:
        seg = self.segment(offset)
        if seg is None:
            return 0
        if seg.offsets:
            i = min(max(offset - seg.start, 0), len(seg.offsets) - 1)
            return seg.offsets[i]
        return seg.call_start

    def position(self, offset: int) -> tuple[int, int]:
        return self.py.position(self.py_offset(offset))

    def line_text(self, line: int) -> str:
        return self.py.line_text(line)


def _py_offset(py: SourceText, lineno: int, col: int) -> int:
    """The .py text offset of an ast position (``col`` counts UTF-8 bytes)."""
    if lineno < 1 or lineno > py.line_count:
        return len(py.text)
    line = py.line_text(lineno)
    chars = len(line.encode("utf-8")[:col].decode("utf-8", "ignore"))
    return py.line_start(lineno) + chars


def _site_map(sites) -> dict[int, object]:
    """Every node inside a site's SQL argument -> the site."""
    out: dict[int, object] = {}
    for s in sites:
        if s.node is None:
            continue
        for n in ast.walk(s.node):
            out.setdefault(id(n), s)
    return out


class Reader:
    """Turns the files of one Alembic/Django history into MigrationSource texts, in the
    history's order (a Django AlterField is read against the fields the earlier files
    left)."""

    def __init__(self, history: History, opts) -> None:
        self.history = history
        self.opts = opts
        self.state = django_ops.DjangoState()

    def source(self, entry: Entry, py: SourceText) -> MigrationSource:
        from .reader import read_module

        extra = tuple(getattr(self.opts.settings, "python_sinks", ()) or ())
        mod = read_module(py.text, py.path, extra)
        m = recognise(py.path, py.text, mod.tree) if mod.tree is not None else None
        if m is None:
            # the text changed since the layout was detected (an editor's unsaved buffer):
            # nothing to lint, and a note says why
            tr = Translation()
            tr.notes.append(f"{mod.error}: its SQL was not read" if mod.error else
                            "no longer an Alembic revision or a Django migration: its SQL was not read")
            kind = ALEMBIC if self.history.layout == ALEMBIC else DJANGO
            return build(py, tr, MigrationModule(kind, py.path, ast.Module(body=[], type_ignores=[])), ())
        if m.kind == ALEMBIC:
            tr = alembic_ops.translate(mod.tree)
        else:
            tr = django_ops.translate(m.migration_class, m.app, self.state, m.atomic is True)
        src = build(py, tr, m, mod.sites)
        src.pymod = mod
        return src

    def parse(self, src, opts):
        """Parse the SQL (stand-ins where the text as written has placeholders and
        non-constant parts: they are the parser's placeholders), with each statement in its
        section."""
        from ..engine.checker import _placeholder_patterns, parse_source
        from ..source.parsing import parse_file

        if not isinstance(src, MigrationSource):
            return parse_source(src, opts)
        parsed = parse_file(SourceText(src.path, src.parse_text), _placeholder_patterns(opts))
        parsed.placeholders = sorted(parsed.placeholders + src.subs)
        assign_sections(src, parsed)
        return parsed

    def finish(self, result, src, first: bool) -> None:
        if not isinstance(src, MigrationSource):
            return
        from ..source.files import text_digest

        finish(result, src, self.opts)
        result.digest = text_digest(src.py.text)
        if first and self.history.notice:
            result.notes.insert(0, f"migration order: {self.history.notice}")


def build(py: SourceText, tr: Translation, m: MigrationModule, sites=()) -> MigrationSource:
    from .lint import _as_written

    by_node = _site_map(sites)
    parts: list[str] = []
    written: list[str] = []
    subs: list[tuple[int, int]] = []
    segments: list[Segment] = []
    section_tx: dict[int, str | None] = {}
    pos = 0
    section = 0
    last_key = None
    for p in tr.pieces:
        key = (p.run, p.rollback, p.block)
        if key != last_key:
            section += 1
            section_tx[section] = None if p.run == AUTOCOMMIT else ASSUMED
            last_key = key
        call = p.call
        site = None
        if not p.generated and p.literal is not None:
            site = next((by_node[id(n)] for n in ast.walk(p.literal) if id(n) in by_node), None)
            if site is None or site.sql is None or not site.offsets:
                site = None
        if p.sql is None and site is None:
            tr.skip(f"{p.what} (SQL pglint cannot resolve)")
            continue
        cs = _py_offset(py, call.lineno, call.col_offset)
        ce = _py_offset(py, call.end_lineno or call.lineno, call.end_col_offset or call.col_offset)
        sql = as_written = p.sql
        offsets = None
        if site is not None:
            sql = site.sql  # placeholders (and non-constant parts) replaced by same-length stand-ins
            as_written = _as_written(site)
            subs.extend((pos + a, pos + b) for a, b in sorted(site.stand_ins + site.placeholders))
            offsets = list(site.offsets)
        # without offsets (SQL pglint built, or not mapped character by character) a
        # finding is placed on the call
        segments.append(Segment(pos, pos + len(sql), p, cs, ce, offsets, section, site))
        parts.append(sql)
        parts.append("\n;\n")
        written.append(as_written)
        written.append("\n;\n")
        pos += len(sql) + 3
    section_tx[0] = section_tx.get(1, ASSUMED)
    return MigrationSource(py, "".join(parts), segments, section_tx, tr, m, written="".join(written), subs=subs)


def assign_sections(src: MigrationSource, parsed) -> None:
    """Give each statement (and syntax error) the section and rollback flag of its piece,
    and the parsed file the way each section runs (engine/checker.py reads it)."""
    for s in parsed.all_statements():
        seg = src.segment(s.start)
        if seg is not None:
            s.section = seg.section
            s.rollback = seg.piece.rollback
    for e in parsed.errors:
        seg = src.segment(e.start)
        if seg is not None:
            e.rollback = seg.piece.rollback
    parsed.section_tx = src.section_tx


# -- results -----------------------------------------------------------------------------

_HELP = {
    ("index-not-concurrent", ALEMBIC): "Pass postgresql_concurrently=True to op.create_index and make the call "
                                       "inside `with op.get_context().autocommit_block():` (CREATE INDEX "
                                       "CONCURRENTLY cannot run in Alembic's transaction).",
    ("index-not-concurrent", DJANGO): "Use AddIndexConcurrently (django.contrib.postgres.operations) in a "
                                      "migration whose Migration class sets atomic = False.",
    ("drop-index-not-concurrent", ALEMBIC): "Pass postgresql_concurrently=True to op.drop_index inside "
                                            "`with op.get_context().autocommit_block():`.",
    ("drop-index-not-concurrent", DJANGO): "Use RemoveIndexConcurrently (django.contrib.postgres.operations) in "
                                           "a migration whose Migration class sets atomic = False.",
    ("constraint-without-not-valid", ALEMBIC): "Pass postgresql_not_valid=True, and validate it in a later "
                                               "migration: op.execute(\"ALTER TABLE ... VALIDATE CONSTRAINT ...\").",
}

def finish(result, src: MigrationSource, opts) -> None:
    """Place the findings in the .py file: those of a statement pglint built on the call
    that emits it (their message names the call and the statement it emits), those of SQL
    the user wrote on the string; drop fixes (their edits are in the SQL, not in the
    Python); run the Python rules over the module; apply the ``# pglint: ignore[...]``
    comments of the Python code; add a note for what was not translated."""
    from ..engine.checker import _position
    from .lint import _suppress

    py = src.py
    kind = src.module.kind
    pairs = []
    for d in result.diagnostics:
        d.fix = None
        d.edit_positions = ()
        seg = src.segment(d.start)
        if seg is None:
            continue
        p = seg.piece
        if seg.offsets is None:
            start, end = seg.call_start, seg.call_end
        else:
            start = src.py_offset(d.start)
            end = max(start, src.py_offset(max(d.end - 1, d.start)) + (1 if d.end > d.start else 0))
        if p.generated:
            stmt = " ".join(p.sql.split())
            if len(stmt) > 160:
                stmt = stmt[:157] + "..."
            h = _HELP.get((d.rule, kind))
            if h is not None:
                d.help = h
            # the message stays one sentence; what the call runs is told with each finding
            emits = f"{p.what} emits: {stmt}"
            d.help = f"{d.help} ({emits})" if d.help else f"{emits}."
            d.extra = {**d.extra, "emits": " ".join(p.sql.split())}
        if d.statement_start is not None:
            d.statement_start = seg.call_start if seg.offsets is None else src.py_offset(d.statement_start)
            d.statement_position = py.position(d.statement_start)
        d.start, d.end = start, end
        pairs.append((d, seg.site))
    pairs.extend(_python_rules(src, opts, result.path))
    kept = _suppress(py, src.pymod, pairs, opts, result.path) if src.pymod is not None else [d for d, _ in pairs]
    for d in kept:
        _position(py, d)
    from ..engine.diagnostics import Diagnostic

    kept.sort(key=Diagnostic.sort_key)
    result.diagnostics = kept
    result.notes.extend(src.translation.notes)
    if src.translation.skipped:
        what = ", ".join(f"{k} ({n})" for k, n in sorted(src.translation.skipped.items()))
        result.notes.append(f"operations pglint did not turn into SQL (Python code, arguments that are not "
                            f"literals, no statement it can build with confidence): {what}")


def _python_rules(src: MigrationSource, opts, path: str) -> list:
    """The findings of the Python rules (sql-injection-python, query-in-loop) in the module."""
    from ..engine.diagnostics import Diagnostic
    from .lint import PYTHON_RULES, _rule_module

    out = []
    mod = src.pymod
    if mod is None:
        return out
    for name in PYTHON_RULES:
        rule = opts.rules.get(name)
        if rule is None or rule.name not in opts.enabled:
            continue
        sev = opts.settings.severity.get(rule.name) or rule.severity
        for site, start, end, message, help, explanation in _rule_module(name).check(mod, mod.sites):
            d = Diagnostic(rule.name, rule.code, sev, message, help, path, start, end, explanation=explanation)
            out.append((d, site))
    return out

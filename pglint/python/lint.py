"""Lint a Python module: the SQL of its sites with the SQL rules, the module itself with
the Python rules (sql-injection-python, query-in-loop), findings placed in the .py file.

The sites whose SQL PostgreSQL parses are linted together, in source order, as one SQL
text (one schema model, one session: a migration's ``upgrade()`` runs them in order); a
constant site at a certain sink that does not parse is linted alone, to report its syntax
error; any other site that does not parse is left out (pglint cannot know it is SQL, or
what the non-constant parts hold), and counted in a note.

In application code the query rules apply (categories meta, queries, security); in an
Alembic or Django migration (``PyModule.migration``) every rule does.
"""

from __future__ import annotations

import ast

from ..engine.diagnostics import Diagnostic
from ..engine.registry import ignored_for
from ..engine.results import FileResult
from ..source.text import SourceText
from .reader import PyModule, Site, read_module

APPLICATION_CATEGORIES = frozenset({"meta", "queries", "security"})
MIGRATION_ONLY = frozenset({"backfill-in-migration"})
PYTHON_RULES = ("sql-injection-python", "query-in-loop")
SEPARATOR = "\n;\n"


def applies(rule, migration: bool) -> bool:
    """Whether a rule's findings count in a module (application code or migration)."""
    if migration:
        return True
    return rule is not None and rule.category in APPLICATION_CATEGORIES and rule.name not in MIGRATION_ONLY


def _parses(sql: str) -> bool:
    from pglast import parser

    try:
        parser.parse_sql_json(sql)
        return True
    except Exception:  # noqa: BLE001 - pglast raises ParseError, and others on odd input
        return False


class _Combined:
    """SQL texts of several sites joined, with the .py offset of every character."""

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.sql: list[str] = []
        self.subs: list[tuple[int, int]] = []  # stand-ins and placeholders (as the parser's placeholders)
        self.offs: list[int] = []
        self.bounds: list[tuple[int, int, Site]] = []  # (start, end, site) in the joined text
        self.starts: list[int] = []
        self.n = 0

    def add(self, site: Site) -> None:
        if self.n:
            last = self.offs[-1] if self.offs else 0
            self.raw.append(SEPARATOR)
            self.sql.append(SEPARATOR)
            self.offs.extend([last] * len(SEPARATOR))
            self.n += len(SEPARATOR)
        self.raw.append(_as_written(site))
        self.sql.append(site.sql)
        self.subs.extend((self.n + a, self.n + b) for a, b in sorted(site.stand_ins + site.placeholders))
        self.offs.extend(site.offsets[:len(site.sql)])
        self.bounds.append((self.n, self.n + len(site.sql), site))
        self.starts.append(self.n)
        self.n += len(site.sql)

    def site_at(self, offset: int) -> Site | None:
        from bisect import bisect_right

        k = bisect_right(self.starts, offset) - 1
        if k >= 0:
            s, e, site = self.bounds[k]
            if s <= offset <= e + len(SEPARATOR):
                return site
        return None

    def py(self, offset: int, end: bool = False) -> int:
        if not self.offs:
            return 0
        if end and offset > 0:
            return self.offs[min(offset - 1, len(self.offs) - 1)] + 1
        return self.offs[max(0, min(offset, len(self.offs) - 1))]


def lint_python(src: SourceText, opts, dispatch, path: str | None = None, file_index: int = 0,
                schema=None, rollback: bool = False, complete_history: bool = False, tool=None,
                mod: PyModule | None = None, migration: bool | None = None,
                sites: list[Site] | None = None) -> FileResult:
    """Lint one .py file. ``migration``: lint as a migration (every rule), as application
    code (query rules), or None: as ``mod.migration`` says. ``sites``: the sites to lint as
    SQL, in the order they run (default: all of the module's, in source order); a caller may
    add sites of its own, e.g. the DDL an ``op.create_index(...)`` call emits::

        Site("op.create_index", "alembic", True, call, call, start, end, sql=ddl, raw=ddl,
             offsets=[start] * len(ddl) + [end], constant=True)

    (every character at the call: findings point at it). ``schema`` / ``complete_history`` /
    ``tool`` / ``rollback`` are passed to the SQL engine as for a .sql file of a history:
    ``schema`` is updated in place, so the next migration of a history sees this one's
    tables. The Python rules always run over ``sites``."""
    from ..engine.checker import _position, lint_source
    from ..engine.checker import _placeholder_patterns
    from ..source.parsing import parse_file

    path = path or src.path
    if mod is None:
        mod = read_module(src.text, path, tuple(getattr(opts.settings, "python_sinks", ()) or ()))
    result = FileResult(path)
    if mod.error:
        result.notes.append(f"{mod.error}: its SQL was not read")
        return result
    is_migration = bool(mod.migration) if migration is None else migration
    all_sites = mod.sites if sites is None else sites
    rules = opts.rules
    diags: list[tuple[Diagnostic, Site | None]] = []

    # forward SQL together, then the reverse SQL (RunSQL's reverse_sql, Alembic's
    # downgrade()) as a rollback: it runs only when the migration is undone
    combined = {"forward": _Combined(), "reverse": _Combined()}
    alone: list[Site] = []
    skipped = 0
    for site in all_sites:
        if site.sql is None or not site.sql.strip():
            continue
        if _parses(site.sql):
            combined["reverse" if site.role == "reverse" else "forward"].add(site)
        elif site.certain and site.constant:
            alone.append(site)
        else:
            skipped += 1
    statements = 0
    patterns = _placeholder_patterns(opts)
    groups = [(g, role == "reverse") for role, g in combined.items() if g.n]
    groups += [(_single(s), s.role == "reverse") for s in alone]
    for g, reverse in groups:
        raw = SourceText(path, "".join(g.raw))
        parsed = parse_file(SourceText(path, "".join(g.sql)), patterns)
        parsed.placeholders = sorted(parsed.placeholders + g.subs)
        res = lint_source(raw, opts, dispatch, path, file_index, schema=schema, rollback=rollback or reverse,
                          parsed=parsed, complete_history=complete_history, tool=tool)
        statements += res.statements
        for d in res.diagnostics:
            if not applies(rules.get(d.rule), is_migration):
                continue
            site = g.site_at(d.start)
            if d.statement_text is not None and d.statement_start is not None:
                d.statement_start = g.py(d.statement_start)
                d.statement_position = src.position(d.statement_start)
            d.start, d.end = g.py(d.start), max(g.py(d.end, end=True), g.py(d.start))
            d.fix = None  # an edit of the SQL text is not an edit of the .py file
            d.edit_positions = ()
            diags.append((d, site))
    # the Python rules
    from ..engine.registry import all_rules

    for name in PYTHON_RULES:
        rule = rules.get(name) or all_rules().get(name)
        if rule is None or rule.name not in opts.enabled:
            continue
        mod_ = _rule_module(name)
        sev = opts.settings.severity.get(rule.name) or rule.severity
        for site, start, end, message, help, explanation in mod_.check(mod, all_sites):
            d = Diagnostic(rule.name, rule.code, sev, message, help, path, start, end, explanation=explanation)
            if opts.statement_text and site is not None:
                d.statement_start = site.start
                d.statement_position = src.position(site.start)
                d.statement_text = src.text[site.start:site.end]
            diags.append((d, site))
    names = ignored_for(opts.settings, path)
    if names:
        diags = [(d, s) for d, s in diags if d.rule not in names]
    out = _suppress(src, mod, diags, opts, path)
    for d in out:
        _position(src, d)
    out.sort(key=Diagnostic.sort_key)
    result.diagnostics = out
    result.statements = statements
    if skipped:
        result.notes.append(f"{skipped} SQL string{'s' if skipped != 1 else ''} not analysed: built from "
                            "non-constant parts, or handed to a call pglint cannot tell is a database driver, "
                            "and not parseable as it stands")
    return result


def _as_written(site: Site) -> str:
    """The site's SQL as the code shows it: non-constant parts as written (``{user_id}``) and
    the driver's placeholders (``%s``), for the engine's messages (same length as ``sql``)."""
    w = list(site.written if site.written is not None and len(site.written) == len(site.sql) else site.sql)
    for a, b in site.placeholders:
        w[a:b] = site.raw[a:b]
    return "".join(w)


def _single(site: Site) -> _Combined:
    g = _Combined()
    g.add(site)
    return g


def _rule_module(name: str):
    import importlib

    return importlib.import_module("pglint.rules." + name.replace("-", "_"))


# -- suppressions ---------------------------------------------------------------------------


def _statement_lines(tree: ast.Module) -> list[tuple[int, int]]:
    return sorted(((n.lineno, n.end_lineno or n.lineno) for n in ast.walk(tree) if isinstance(n, ast.stmt)))


def _suppress(src: SourceText, mod: PyModule, diags, opts, path: str) -> list[Diagnostic]:
    """``# pglint: ignore[rule]`` on a line of the Python statement a finding is in, or on
    comment lines right above it; ``# pglint: ignore-file[rule]`` anywhere."""
    from ..engine.suppression import parse_directives

    comments = [(s + 1, e) for s, e in mod.py_comments if "pglint" in src.text[s:e]]
    if not comments:
        return [d for d, _ in diags]
    directives = [d for d in parse_directives(src.text, comments) if d.kind in ("ignore", "ignore-file")]
    if not directives:
        return [d for d, _ in diags]
    stmts = _statement_lines(mod.tree) if mod.tree is not None else []
    # the lines each directive covers
    covers = []
    for dv in directives:
        line = src.position(dv.start)[0]
        if dv.kind == "ignore-file":
            covers.append(None)
            continue
        code_before = src.line_text(line)[:src.position(dv.start)[1] - 2].strip()
        if code_before:
            # the innermost statement holding this line: all of its lines
            best = None
            for a, b in stmts:
                if a <= line <= b and (best is None or b - a <= best[1] - best[0]):
                    best = (a, b)
            covers.append(best or (line, line))
        else:
            nxt = line + 1
            while nxt <= src.line_count and (not src.line_text(nxt).strip() or src.line_text(nxt).lstrip().startswith("#")):
                if not src.line_text(nxt).strip():
                    break
                nxt += 1
            best = None
            for a, b in stmts:
                if a == nxt and (best is None or b - a < best[1] - best[0]):
                    best = (a, b)
            covers.append(best or (nxt, nxt))
    kept = []
    for d, site in diags:
        line = src.position(d.start)[0]
        silenced = False
        for dv, cov in zip(directives, covers):
            if d.rule not in dv.rules:
                continue
            if cov is None or cov[0] <= line <= cov[1] or (site is not None and _site_in(src, site, cov)):
                dv.used.add(d.rule)
                silenced = True
        if not silenced:
            kept.append(d)
    unused = opts.rules.get("unused-suppression")
    if unused is not None and unused.name in opts.enabled:
        for dv in directives:
            problems = [f"Suppression names unknown rule '{t}'" if t else
                        "Suppression names no rule; list the rules to silence: ignore[rule-a, rule-b]"
                        for t in dv.unknown]
            for name in dv.rules:
                if name not in dv.used and name in opts.enabled:
                    where = "in this file" if dv.kind == "ignore-file" else "on the statement it applies to"
                    problems.append(f"Unused suppression: no {name} diagnostic {where}")
            for msg in problems:
                sev = opts.settings.severity.get(unused.name) or unused.severity
                kept.append(Diagnostic(unused.name, unused.code, sev, msg,
                                       "Remove the rule from the comment (or the whole comment).", path,
                                       dv.start - 1, dv.end))
    return kept


def _site_in(src: SourceText, site: Site, cov: tuple[int, int]) -> bool:
    a = src.position(site.start)[0]
    return cov[0] <= a <= cov[1]


# -- writing suppressions (--add-ignore, the language server) --------------------------------


def ignore_anchor(text: str, line: int, tree: ast.Module | None = None) -> int:
    """The first line of the innermost Python statement holding ``line``: where a
    ``# pglint: ignore[...]`` comment line goes so that it covers the finding."""
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return line
    best = None
    for a, b in _statement_lines(tree):
        if a <= line <= b and (best is None or b - a <= best[1] - best[0]):
            best = (a, b)
    return best[0] if best else line


def ignore_insertion(text: str, first_line: int, rules) -> tuple[int, str]:
    """(offset, text) inserting ``# pglint: ignore[rules] TODO: give the reason`` as a line of
    its own above 1-based ``first_line``, with that line's indentation and the file's line
    ending."""
    from ..cli.fix import IGNORE_REASON

    src = SourceText("<py>", text)
    nl = "\r\n" if "\r\n" in text else "\n"
    at = src.line_start(max(1, min(first_line, src.line_count)))
    line = src.line_text(first_line)
    indent = line[:len(line) - len(line.lstrip())]
    return at, f"{indent}# pglint: ignore[{', '.join(sorted(rules))}] {IGNORE_REASON}{nl}"

"""Human output. Two layouts:

* finding by finding: a code frame with a caret under the span, ``rule (code)``, the
  message, the rule's explanation (the first time the rule appears in the run only), a
  ``help:`` line, the fix and a link to the rule page; then the per-rule table;
* summary first, for big runs (more than ``summary-first-threshold`` lines of the layout
  above, and the user named a directory, not only files; or asked with ``--summary-first``,
  ``--group-by`` or ``--max-per-rule``): the per-rule table with fixable counts and each
  rule's one-line summary, then the findings one line each, grouped by rule (or by file),
  each rule's explanation once, at most ``--max-per-rule`` per group.

Both end with the summary line and what to do next (fixes, silencing a rule, the full
list). Uses rich (imported here only), which drops colours and links when the output is not
a terminal; prose is wrapped to the terminal width (in a file or a pipe the one-sentence
message stays on one line, explanation and help are wrapped at 100 columns); code is not.
"""

from __future__ import annotations

import re
from collections import Counter

from . import next_steps, plural, summary_line
from ._common import fix_counts, fix_wording

_SEV_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}
FILE_WIDTH = 100  # prose width when the output is not a terminal
TABLE_FILE_WIDTH = 120  # the summary-first table's width then (room for each rule's summary)
DEFAULT_THRESHOLD = 500  # lines of the finding-by-finding layout above which summary first is the default


def render(result, out, options) -> None:
    diags = [d for f in result.files for d in f.diagnostics]
    notes = [(f.path, n) for f in result.files for n in f.notes]
    if not diags and not notes:
        out.write(summary_line(result) + "\n")
        return
    from rich.console import Console

    color = options.get("color")
    console = Console(file=out, highlight=False, soft_wrap=False,
                      force_terminal=True if color is True else None,
                      no_color=color is False, width=options.get("width"))
    prose = console.width if console.is_terminal or options.get("width") else FILE_WIDTH
    if not console.is_terminal and not options.get("width"):
        console.width = 100_000  # a log or a file: code lines are never cut (prose is wrapped by hand)
        if color is not True:
            console = _Plain(console, out)
    grouped = summary_first(diags, options)
    if grouped:
        capped = _grouped(console, result, diags, options, prose)
    else:
        capped = False
        seen: set[tuple] = set()  # an explanation is printed once, a rule's other wording too
        for d in diags:
            _finding(console, d, prose, explain=(d.rule, d.explanation) not in seen, result=result)
            seen.add((d.rule, d.explanation))
    _notes(console, notes)
    if diags and not grouped:
        _summary_table(console, result, prose, with_summaries=False)
    _end(console, result, options, grouped, capped)


def summary_first(diags, options) -> bool:
    """Whether to print the summary-first layout."""
    forced = options.get("summary_first")
    if forced is not None:
        return bool(forced) and bool(diags)
    if not diags:
        return False
    if options.get("group_by") or options.get("max_per_rule"):
        return True
    if options.get("named_files"):  # pglint a.sql b.sql: the user wants those findings in full
        return False
    threshold = options.get("threshold", DEFAULT_THRESHOLD)
    if threshold is None:
        return False
    return estimate_lines(diags) > threshold


def estimate_lines(diags) -> int:
    """Lines the finding-by-finding layout takes (without wrapping): header, message,
    code frame (two lines per source line, at most four, plus "..."), help, fix, link, blank."""
    n = 0
    seen = set()
    for d in diags:
        frame = min(4, len(d.source_lines))
        n += 4 + 2 * frame + (1 if len(d.source_lines) > 4 else 0) + bool(d.help) + (d.fix is not None)
        if d.explanation and (d.rule, d.explanation) not in seen:
            n += 2
        seen.add((d.rule, d.explanation))
    return n


class _Plain:
    """``console.print`` for output without styles (a file or a pipe, no --color): rich
    writes the text alone there, and its rendering pipeline (segments, styles, measuring,
    buffering) cost a third of a millisecond a line, more than linting the line's finding
    did (300,000 lines for the corpus named file by file). Writes the same text itself;
    anything else (a table, a text with control characters, which rich would expand or
    drop) goes to rich."""

    def __init__(self, console, out) -> None:
        from rich.text import Text

        self.rich = console
        self.width = console.width
        self.is_terminal = False
        self._text = Text
        self._write = out.write
        self._wrapped: dict[tuple, list[str]] = {}

    def print(self, *objects, sep: str = " ", end: str = "\n", **kw) -> None:
        Text = self._text
        parts = []
        for o in objects:
            if isinstance(o, Text):
                parts.append(o.plain)
            elif isinstance(o, str) and "[" not in o:  # no markup to interpret
                parts.append(o)
            else:
                self.rich.print(*objects, sep=sep, end=end, **kw)
                return
        line = sep.join(parts)
        if _CONTROL.search(line) is not None:
            self.rich.print(*objects, sep=sep, end=end, **kw)
            return
        self._write(line + end)

    def para(self, text, width: int, indent: int) -> None:
        """_para's lines: rich's word wrap of the text, each line indented; the same text at
        the same width is wrapped once per run (the same help comes with many findings)."""
        key = (text.plain, width, indent)
        lines = self._wrapped.get(key)
        if lines is None:
            wrapped = text.wrap(self.rich, width)
            for line in wrapped:
                line.rstrip()
            lines = [" " * indent + line.plain for line in wrapped]
            if any(_CONTROL.search(x) is not None for x in lines):
                for line in wrapped:  # as rich prints them
                    self.rich.print(" " * indent, line, sep="", soft_wrap=True)
                return
            self._wrapped[key] = lines
        self._write("".join(x + "\n" for x in lines))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# -- finding by finding -------------------------------------------------------------------

def _finding(console, d, prose: int, explain: bool, result=None) -> None:
    from rich.text import Text

    sev = d.severity
    head = Text()
    head.append(f"{d.where}: ", style="bold")
    head.append(sev, style=_SEV_STYLE.get(sev, "bold"))
    head.append(" ")
    head.append(f"{d.rule} ({d.code})", style=f"bold link {_url(d.rule, result)}")
    console.print(head, soft_wrap=True)
    if console.is_terminal:
        _para(console, Text(d.message), prose)
    else:  # one sentence: kept on one line in a file or a pipe (grep finds it whole)
        console.print(Text.assemble("  ", d.message), soft_wrap=True)
    if explain and d.explanation:
        _para(console, Text(d.explanation, style="dim"), prose, before=True)
    _frame(console, d, Text)
    if d.help:
        _para(console, Text.assemble(("help: ", "bold cyan"), d.help), prose)
    if d.fix is not None:
        _para(console, Text.assemble(("fix: ", "bold green"), f"{d.fix.title} ({fix_wording(d.fix)})"), prose)
    console.print(Text.assemble(("  see: ", "dim"), (_url(d.rule, result), f"dim link {_url(d.rule, result)}")), soft_wrap=True)
    console.print()


def _para(console, text, prose: int, indent: int = 2, before: bool = False) -> None:
    """A paragraph indented by ``indent`` and wrapped at ``prose`` columns."""
    if before:
        console.print()
    plain = getattr(console, "para", None)  # _Plain's
    if plain is not None:
        plain(text, max(20, prose - indent), indent)
        return
    for line in text.wrap(console, max(20, prose - indent)):
        line.rstrip()
        console.print(" " * indent, line, sep="", soft_wrap=True)


def _frame(console, d, Text) -> None:
    lines = d.source_lines
    if not lines:
        return
    first = d.line
    width = len(str(first + len(lines) - 1))
    shown = lines[:4]
    for k, text in enumerate(shown):
        n = first + k
        text = text.replace("\t", " ")  # one column per character, as the caret counts
        console.print(Text.assemble((f"  {n:>{width}} | ", "blue"), text), crop=False, overflow="ignore", soft_wrap=True)
        # caret under the span on this line
        if n == d.line:
            start = d.column - 1
        else:
            start = len(text) - len(text.lstrip())
        if n == d.end_line:
            end = d.end_column - 1
        else:
            end = len(text.rstrip())
        if n > d.end_line:
            break
        end = max(end, start + 1)
        console.print(Text.assemble((f"  {'':>{width}} | ", "blue"), " " * start, ("^" * (end - start), "bold red")),
                      crop=False, overflow="ignore", soft_wrap=True)
    if len(lines) > len(shown):
        console.print(Text(f"  {'':>{width}} | ...", style="blue"))


# -- summary first ------------------------------------------------------------------------

def _grouped(console, result, diags, options, prose: int) -> bool:
    """The per-rule table, then the findings one line each by rule (or file). Returns
    whether some findings were left out (--max-per-rule)."""
    from rich.text import Text

    _summary_table(console, result, prose, with_summaries=True)
    nfiles = len({d.path for d in diags})
    by_file = options.get("group_by") == "file"
    cap = options.get("max_per_rule") or 0
    how = "file" if by_file else "rule"
    console.print(Text(f"{plural(len(diags), 'finding')} in {plural(nfiles, 'file')}, by {how}"
                       + (f" (at most {cap} per rule)" if cap else "") + ":", style="bold"))
    console.print()
    left_out = 0
    explained: set[str] = set()
    if by_file:
        files: dict[str, list] = {}
        for d in diags:
            files.setdefault(d.path, []).append(d)
        shown_per_rule: Counter = Counter()
        for path, ds in files.items():
            console.print(Text.assemble((path, "bold"), f"  ({plural(len(ds), 'finding')})"), soft_wrap=True)
            for d in ds:
                if cap and shown_per_rule[d.rule] >= cap:
                    left_out += 1
                    continue
                shown_per_rule[d.rule] += 1
                _line(console, d, f"{d.line}:{d.column}", with_rule=True)
            console.print()
        if left_out:
            console.print(Text(f"{left_out} more not shown (--max-per-rule {cap}).", style="dim"))
            console.print()
        return bool(left_out)
    rules: dict[str, list] = {}
    for d in diags:
        rules.setdefault(d.rule, []).append(d)
    order = sorted(rules, key=lambda r: (-len(rules[r]), rules[r][0].code))
    for rule in order:
        ds = rules[rule]
        n = fix_counts(ds)
        head = Text()
        head.append(f"{rule} ({ds[0].code})", style=f"bold link {_url(rule, result)}")
        head.append(f"  {plural(len(ds), 'finding')}")
        for kind in ("safe", "unsafe"):
            if n[kind]:
                head.append(f", {n[kind]} {fix_wording(kind)}", style="green")
        console.print(head, soft_wrap=True)
        expl = next((d.explanation for d in ds if d.explanation), None)
        if expl and rule not in explained:
            _para(console, Text(expl, style="dim"), prose)
            explained.add(rule)
        shown = ds[:cap] if cap else ds
        for d in shown:
            _line(console, d, d.where, with_rule=False)
        if len(shown) < len(ds):
            more = len(ds) - len(shown)
            left_out += more
            console.print(Text(f"  ... {more} more (--max-per-rule {cap})", style="dim"))
        console.print(Text.assemble(("  see: ", "dim"), (_url(rule, result), f"dim link {_url(rule, result)}")), soft_wrap=True)
        console.print()
    return bool(left_out)


def _line(console, d, where: str, with_rule: bool) -> None:
    """One finding on one line: location, severity, (rule,) message, fix wording."""
    from rich.text import Text

    t = Text("  ")
    t.append(where, style="bold")
    t.append(" ")
    t.append(d.severity, style=_SEV_STYLE.get(d.severity, "bold"))
    if with_rule:
        t.append(f" {d.rule} ({d.code})")
    t.append(f": {d.message}")
    if d.fix is not None:
        t.append(f" [{fix_wording(d.fix)}]", style="green")
    console.print(t, soft_wrap=True)


# -- both ---------------------------------------------------------------------------------

def _notes(console, notes) -> None:
    from rich.markup import escape

    for path, n in notes:
        console.print(f"[dim]{escape(path)}: note: not analysed: {escape(n)}[/dim]")


def _summary_table(console, result, prose: int, with_summaries: bool) -> None:
    """Findings per rule, with totals and fixable counts: per severity in the
    finding-by-finding layout; with each rule's one-line summary instead in the
    summary-first layout (the summary line gives severities, files, statements and time)."""
    from rich import box
    from rich.table import Table

    from ..engine.registry import all_rules

    counts: dict[str, Counter] = {}
    fixable: dict[str, Counter] = {}
    codes = {}
    for d in result.diagnostics:
        counts.setdefault(d.rule, Counter())[d.severity] += 1
        c = fixable.setdefault(d.rule, Counter())
        if d.fix is not None:
            c[d.fix.applicability] += 1
        codes[d.rule] = d.code
    if not counts:
        return
    total = Counter()
    for c in counts.values():
        total.update(c)
    ftotal = Counter()
    for c in fixable.values():
        ftotal.update(c)
    sevs = [] if with_summaries else [s for s in ("error", "warning", "info") if total[s]]
    table = Table(box=box.SIMPLE_HEAD, show_footer=True, show_edge=False, pad_edge=False)
    table.add_column("rule", footer="total", no_wrap=True)
    table.add_column("code", no_wrap=True)
    for s in sevs:
        table.add_column(s, justify="right", header_style=_SEV_STYLE[s], footer=str(total[s]), no_wrap=True)
    table.add_column("findings", justify="right", footer=str(sum(total.values())), no_wrap=True)
    table.add_column("--fix", justify="right", footer=str(ftotal["safe"] or ""), no_wrap=True)
    if ftotal["unsafe"]:
        table.add_column("--unsafe-fixes", justify="right", footer=str(ftotal["unsafe"]), no_wrap=True)
    rules = all_rules() if with_summaries else {}
    if with_summaries:
        table.add_column("what it checks", no_wrap=True, overflow="ellipsis", min_width=20)
    order = sorted(counts, key=lambda r: (-sum(counts[r].values()), codes[r]))
    for rule in order:
        c, f = counts[rule], fixable[rule]
        row = [f"[link={_url(rule, result)}]{rule}[/link]", codes[rule], *[str(c[s]) if c[s] else "" for s in sevs],
               str(sum(c.values())), str(f["safe"] or "")]
        if ftotal["unsafe"]:
            row.append(str(f["unsafe"] or ""))
        if with_summaries:
            r = rules.get(rule)
            row.append(r.summary if r is not None else "")
        table.add_row(*row)
    if with_summaries:
        _plain_table(console, table, max(80, prose if console.is_terminal else TABLE_FILE_WIDTH))
        return
    console.print(table)


def _plain_table(console, table, width: int) -> None:
    """The table as aligned text, its last column (each rule's summary) cut to ``width``."""
    from rich.text import Text

    cols = table.columns
    cells = [[_plain(c) for c in col._cells] for col in cols]
    heads = [str(col.header) for col in cols]
    foots = [str(col.footer or "") for col in cols]
    widths = [max(len(h), len(f), *(len(x) for x in cells[i])) for i, (h, f) in enumerate(zip(heads, foots))]
    fixed = sum(widths[:-1]) + 2 * (len(cols) - 1)
    widths[-1] = max(10, min(widths[-1], width - fixed))

    def row(values, style=None):
        parts = []
        for i, v in enumerate(values):
            w = widths[i]
            if i == len(values) - 1:
                v = v if len(v) <= w else v[:w - 3] + "..."
                parts.append(v)
            elif cols[i].justify == "right":
                parts.append(v.rjust(w))
            else:
                parts.append(v.ljust(w))
        console.print(Text("  ".join(parts).rstrip(), style=style or ""), soft_wrap=True)

    row(heads, "bold")
    console.print(Text("-" * min(width, fixed + widths[-1])), soft_wrap=True)
    for r in range(len(cells[0])):
        row([cells[i][r] for i in range(len(cols))])
    console.print(Text("-" * min(width, fixed + widths[-1])), soft_wrap=True)
    row(foots, "bold")
    console.print()


def _plain(cell) -> str:
    from rich.text import Text

    return Text.from_markup(cell).plain if isinstance(cell, str) else str(cell)


def _end(console, result, options, grouped: bool, capped: bool) -> None:
    """The summary line, then what to do next (the last lines of the report)."""
    from rich.text import Text

    console.print(Text(summary_line(result), style="bold"), soft_wrap=True)
    if options.get("quiet"):
        return
    for line in next_steps(result, grouped, capped):
        console.print(Text(line), soft_wrap=True)


def _url(rule: str, where=None) -> str:
    from ..docs import rule_url  # docs-url from where (the run result), else the packaged page

    return rule_url(rule, where)

"""Human output: a code frame with a caret under the span, ``rule (code)``, the message, a
``help:`` line and a link to the rule page; then a summary. Uses rich (imported here
only), which drops colours and links when the output is not a terminal."""

from __future__ import annotations

from . import summary_line

_SEV_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}


def render(result, out, options) -> None:
    diags = [d for f in result.files for d in f.diagnostics]
    notes = [(f.path, n) for f in result.files for n in f.notes]
    if not diags and not notes:
        out.write(summary_line(result) + "\n")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.padding import Padding
    from rich.text import Text

    color = options.get("color")
    console = Console(file=out, highlight=False, soft_wrap=False,
                      force_terminal=True if color is True else None,
                      no_color=color is False, width=options.get("width"))
    if not console.is_terminal and not options.get("width"):
        console.width = 100_000  # a log or a file: one line per message, no wrapping
    for d in diags:
        sev = d.severity
        head = Text()
        head.append(f"{d.where}: ", style="bold")
        head.append(sev, style=_SEV_STYLE.get(sev, "bold"))
        head.append(" ")
        head.append(f"{d.rule} ({d.code})", style=f"bold link {_url(d.rule)}")
        console.print(head, soft_wrap=True)
        console.print(Padding(Text(d.message), (0, 0, 0, 2), expand=False))
        _frame(console, d, Text)
        if d.help:
            console.print(Padding(Text.assemble(("help: ", "bold cyan"), d.help), (0, 0, 0, 2), expand=False))
        if d.fix is not None:
            how = {"safe": "fixable with --fix", "unsafe": "fixable with --fix --unsafe-fixes",
                   "display-only": "suggested fix (not applied automatically)"}.get(d.fix.applicability, "")
            console.print(Text.assemble(("  fix: ", "bold green"), f"{d.fix.title} ({how})"))
        console.print(Text.assemble(("  see: ", "dim"), (_url(d.rule, result), f"dim link {_url(d.rule, result)}")), soft_wrap=True)
        console.print()
    for path, n in notes:
        console.print(f"[dim]{escape(path)}: note: not analysed: {escape(n)}[/dim]")
    if diags:
        _summary_table(console, result)
    console.print(Text(summary_line(result), style="bold"))


def _summary_table(console, result) -> None:
    """Findings per rule and severity, with totals; the summary line that follows gives
    files, statements and time."""
    from collections import Counter

    from rich import box
    from rich.table import Table

    counts: dict[str, Counter] = {}
    codes = {}
    for d in result.diagnostics:
        counts.setdefault(d.rule, Counter())[d.severity] += 1
        codes[d.rule] = d.code
    total = Counter()
    for c in counts.values():
        total.update(c)
    sevs = [s for s in ("error", "warning", "info") if total[s]]
    table = Table(box=box.SIMPLE_HEAD, show_footer=True, show_edge=False, pad_edge=False)
    table.add_column("rule", footer="total")
    table.add_column("code")
    for s in sevs:
        table.add_column(s, justify="right", header_style=_SEV_STYLE[s], footer=str(total[s]))
    table.add_column("findings", justify="right", footer=str(sum(total.values())))
    order = sorted(counts, key=lambda r: (-sum(counts[r].values()), codes[r]))
    for rule in order:
        c = counts[rule]
        table.add_row(f"[link={_url(rule)}]{rule}[/link]", codes[rule],
                      *[str(c[s]) if c[s] else "" for s in sevs], str(sum(c.values())))
    console.print(table)


def _url(rule: str, where=None) -> str:
    from ..docs import rule_url  # docs-url from where (the run result), else the packaged page

    return rule_url(rule, where)


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

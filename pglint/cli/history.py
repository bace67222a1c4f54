"""Migration-history options of ``pglint check``: --changed-since and --explain-order."""

from __future__ import annotations

import os
import subprocess

import click

from ..model.transactions import ASSUMED, ONE_QUERY


def changed_since(rev: str) -> set[str]:
    """Real paths of files added or modified since git revision ``rev`` (committed or not),
    plus new untracked files."""
    def git(*args) -> str:
        p = subprocess.run(["git", *args], capture_output=True, text=True)
        if p.returncode != 0:
            raise click.UsageError(f"--changed-since {rev}: git {' '.join(args)} failed: {p.stderr.strip()}")
        return p.stdout

    try:
        top = git("rev-parse", "--show-toplevel").strip()
    except FileNotFoundError:
        raise click.UsageError("--changed-since needs git, which is not installed") from None
    names = git("diff", "--name-only", "--diff-filter=AMR", rev, "--").splitlines()
    names += git("ls-files", "--others", "--exclude-standard").splitlines()
    out = set()
    for n in names:
        p = n if os.path.isabs(n) else os.path.join(top, n) if n else ""
        if p and not n.startswith(top):
            p = os.path.join(top, n)
        out.add(os.path.realpath(p))
    return out


# how the file's migration tool runs it (source/tool_transactions.py)
_RUNS = {ASSUMED: "in a transaction", ONE_QUERY: "as one query string", None: "statement by statement"}


def explain_order(paths, settings) -> int:
    """Print the layout detected for each history and the order its files run in."""
    from ..engine.runner import plan_units, python_include
    from ..source.files import discover

    inputs = discover(list(paths), python_include(settings), settings.is_excluded if settings.exclude else None)
    units = plan_units(inputs, settings)
    standalone = [u.inputs[0].path for u in units if u.history is None]
    for u in units:
        h = u.history
        if h is None:
            continue
        click.echo(f"{h.root}: {h.layout}, {len(h.entries)} files")
        if h.notice:
            click.echo(f"  note: {h.notice}")
        width = len(str(len(h.entries)))
        for n, e in enumerate(h.entries, 1):
            rel = os.path.relpath(e.input.path, h.root) if h.root not in ("", ".") else e.input.path
            note = e.kind
            if e.pair is not None and e.kind != "forward":
                note += f" of #{e.pair + 1}"
            if settings.assume_in_transaction is not None:
                note += ", " + _RUNS[ASSUMED if settings.assume_in_transaction else None] + " (assume-in-transaction)"
            elif e.tx is not None and e.tx.unknown:
                note += ", transaction mode unknown (set assume-in-transaction)"
            elif e.tx is not None:
                note += ", " + _RUNS.get(e.tx.mode, "")
            click.echo(f"  {n:>{width}}  {rel}  [{note}]")
    if standalone:
        click.echo(f"standalone files (no migration layout): {len(standalone)}")
        for p in standalone:
            click.echo(f"  {p}")
    return 0

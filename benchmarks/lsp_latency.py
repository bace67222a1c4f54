"""How long `pglint server` takes from didOpen (or didChange) to publishDiagnostics, for a
migration file in a folder of N migrations. Not a test: it prints figures.

    python benchmarks/lsp_latency.py ../shared/corpus/lemmy/migrations --count 50
    python benchmarks/lsp_latency.py ../shared/corpus/hatchet/cmd/hatchet-migrate/migrate/migrations --count 50

The first N entries of the folder (files, or migration directories such as diesel's) are
copied to a temporary folder, the server is started and initialized, and the last of them
is opened: the time to its publishDiagnostics is measured (the first open includes the
server's warm-up if it has not finished). Then the document is changed (a comment appended)
REPEAT times; each change is timed to its publishDiagnostics, and the figure given without
the debounce delay too. `pglint check FILE` (a new process each time) is timed for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as T
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pglint.lsp.server import DEBOUNCE  # noqa: E402


def _pglint() -> str:
    cand = Path(sys.executable).parent / "pglint"
    return str(cand) if cand.exists() else shutil.which("pglint")


def _entries(folder: Path, count: int) -> list[Path]:
    from pglint.source.files import path_key

    items = [p for p in folder.iterdir() if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".sql")]
    items.sort(key=lambda p: path_key(p.name))
    return items[:count]


def _target(entry: Path) -> Path:
    if entry.is_file():
        return entry
    for name in ("up.sql", "migration.sql"):
        if (entry / name).is_file():
            return entry / name
    return sorted(entry.rglob("*.sql"))[0]


async def measure(path: Path, repeat: int, idle: float) -> dict:
    client = LanguageClient("lsp-latency", "1")
    arrived: dict[int, float] = {}
    event = asyncio.Event()

    @client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(ls, params):
        arrived.setdefault(params.version, time.perf_counter())
        counts[params.version] = len(params.diagnostics)
        event.set()

    counts: dict[int, int] = {}
    await client.start_io(_pglint(), "server")
    await client.initialize_async(T.InitializeParams(capabilities=T.ClientCapabilities(), process_id=os.getpid()))
    client.initialized(T.InitializedParams())
    if idle:
        await asyncio.sleep(idle)  # let the warm-up finish, as in an editor started a moment before
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")

    async def until(version: int) -> None:
        while version not in arrived:
            event.clear()
            await asyncio.wait_for(event.wait(), 120)

    t0 = time.perf_counter()
    client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(uri, "sql", 1, text)))
    await until(1)
    open_s = arrived[1] - t0
    changes = []
    for v in range(2, repeat + 2):
        text += f"-- edit {v}\n"
        t0 = time.perf_counter()
        client.text_document_did_change(T.DidChangeTextDocumentParams(
            T.VersionedTextDocumentIdentifier(uri=uri, version=v), [T.TextDocumentContentChangeWholeDocument(text=text)]))
        await until(v)
        changes.append(arrived[v] - t0)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"open": open_s, "changes": changes, "diagnostics": counts.get(1, 0)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "migrations"
        dest.mkdir()
        entries = _entries(args.folder, args.count)
        for e in entries:
            (shutil.copytree if e.is_dir() else shutil.copy2)(e, dest / e.name)
        target = _target(dest / entries[-1].name)
        nfiles = sum(1 for _ in dest.rglob("*.sql"))
        print(f"{args.folder}: {len(entries)} migrations ({nfiles} .sql files); opening {target.relative_to(dest)} "
              f"({target.stat().st_size} bytes)")
        cold = asyncio.run(measure(target, 0, 0))
        warm = asyncio.run(measure(target, args.repeat, 2.0))
        cli = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([_pglint(), "--no-cache", "-q", str(target)], capture_output=True, cwd=tmp)
            cli.append(time.perf_counter() - t0)
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    med = statistics.median(warm["changes"])
    print(f"  diagnostics published: {warm['diagnostics']}")
    print(f"  didOpen -> publishDiagnostics, right after initialize (includes warm-up): {ms(cold['open'])}")
    print(f"  didOpen -> publishDiagnostics, server warmed up: {ms(warm['open'])}")
    print(f"  didChange -> publishDiagnostics: median {ms(med)} (of which {ms(DEBOUNCE)} debounce: "
          f"{ms(med - DEBOUNCE)} linting), min {ms(min(warm['changes']))}, max {ms(max(warm['changes']))}")
    print(f"  pglint check FILE (new process, for comparison): median {ms(statistics.median(cli))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Same input, same output (order and content) across runs, --jobs 1 and many jobs, cache off,
cold and warm, and hash seeds; and a long run (the whole corpus five times in one process, the
cache on) whose memory does not grow between rounds."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import tracemalloc

import pytest

from conftest import pglint_path

pytestmark = pytest.mark.corpus


def corpus_files(root) -> list[str]:
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        out += [os.path.join(d, f) for f in files if f.endswith(".sql") and not f.startswith(".")]
    return out


def subset(corpus, minimum: int = 150) -> list[str]:
    """Whole projects of the corpus (so that migration histories stay whole), about
    ``minimum`` files, more than the runner's threshold for parallel workers."""
    picked, n = [], 0
    for name in sorted(os.listdir(corpus)):
        p = corpus / name
        if not p.is_dir():
            continue
        k = len(corpus_files(p))
        if 10 <= k <= 120:
            picked.append(str(p))
            n += k
        if n >= minimum:
            break
    assert n >= minimum
    return picked


def report(paths, *extra, seed: str = "0") -> dict:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    p = subprocess.run([pglint_path(), "--isolated", "--format", "json", *extra, *paths], capture_output=True,
                       text=True, env=env, timeout=1200)
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
    doc = json.loads(p.stdout)
    doc["summary"].pop("elapsed"), doc["summary"].pop("timings")
    return doc


def runs(paths, tmp_path) -> list[tuple[str, dict]]:
    cache = str(tmp_path / "cache")
    return [
        ("jobs 1, no cache", report(paths, "--jobs", "1", "--no-cache", seed="1")),
        ("jobs 2, no cache", report(paths, "--jobs", "2", "--no-cache", seed="2")),
        ("jobs 5, no cache", report(paths, "--jobs", "5", "--no-cache", seed="3")),
        ("jobs 2, cache cold", report(paths, "--jobs", "2", "--cache-dir", cache, seed="4")),
        ("jobs 1, cache warm", report(paths, "--jobs", "1", "--cache-dir", cache, seed="5")),
        ("jobs 3, cache warm", report(paths, "--jobs", "3", "--cache-dir", cache, seed="6")),
    ]


def assert_same(results) -> None:
    first_name, first = results[0]
    assert first["summary"]["files"] > 0
    for name, doc in results[1:]:
        if doc != first:
            a, b = first["diagnostics"], doc["diagnostics"]
            diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            pytest.fail(f"{name} differs from {first_name}: summary {doc['summary']} vs {first['summary']}; "
                        f"first difference at diagnostic {diff}: {b[diff:diff + 1]} vs {a[diff:diff + 1]}")


def test_same_output_on_corpus_projects(corpus, tmp_path):
    paths = subset(corpus)
    assert_same(runs(paths, tmp_path))


@pytest.mark.slow
def test_same_output_on_the_whole_corpus(corpus, tmp_path):
    assert_same(runs([str(corpus)], tmp_path))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _digest(result) -> str:
    h = hashlib.blake2b(digest_size=16)
    for f in result.files:
        h.update(f"{f.path}|{f.statements}|{f.unreadable}\n".encode("utf-8", "surrogateescape"))
        for d in f.diagnostics:
            h.update(f"{d.rule}|{d.line}|{d.column}|{d.end_line}|{d.end_column}|{d.message}\n".encode())
    return h.hexdigest()


def _rounds(paths, settings, n: int, use_cache: bool, jobs: int):
    """Run ``n`` times in this process; memory after each round (after a full collection):
    RSS, and the bytes tracemalloc sees allocated (traced from the end of round 1)."""
    from pglint.engine.runner import run_paths

    rss, traced, digests, files = [], [], [], []
    try:
        for r in range(n):
            res = run_paths(paths, settings, jobs=jobs, use_cache=use_cache)
            digests.append(_digest(res))
            files.append(len(res.files))
            del res
            gc.collect()
            rss.append(_rss())
            if r == 0:
                tracemalloc.start()
            traced.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    return rss, traced, digests, files


MB = 1024 * 1024


@pytest.mark.slow
def test_whole_corpus_five_times_with_the_cache_no_memory_growth(corpus, tmp_path):
    """Round 1 lints (and fills the cache), rounds 2-5 read it; from round 2 to round 5 the
    memory Python holds and the process's RSS stay flat."""
    from pglint.config.settings import Settings

    settings = Settings(cache_dir=str(tmp_path / "cache"))
    n_files = len(corpus_files(corpus))
    rss, traced, digests, files = _rounds([str(corpus)], settings, 5, True, 2)
    print(f"\nwhole corpus, cache on: RSS MB per round {[round(x / MB, 1) for x in rss]}, "
          f"tracemalloc MB {[round(x / MB, 2) for x in traced]}")
    assert files == [n_files] * 5
    assert len(set(digests)) == 1
    assert traced[4] - traced[1] < 2 * MB, traced
    assert rss[4] - rss[1] < 25 * MB, rss


@pytest.mark.slow
def test_linting_in_process_five_times_no_memory_growth(corpus, tmp_path):
    """The same without the cache, in this process (--jobs 1): parsing, the rules, the model."""
    from pglint.config.settings import Settings

    paths = subset(corpus, 300)
    rss, traced, digests, files = _rounds(paths, Settings(cache=False), 5, False, 1)
    print(f"\ncorpus projects, no cache, jobs 1: RSS MB per round {[round(x / MB, 1) for x in rss]}, "
          f"tracemalloc MB {[round(x / MB, 2) for x in traced]}")
    assert len(set(files)) == 1 and len(set(digests)) == 1
    assert traced[4] - traced[1] < 2 * MB, traced
    assert rss[4] - rss[1] < 25 * MB, rss

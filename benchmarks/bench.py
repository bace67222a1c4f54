"""pglint against squawk, side by side (issue 9 targets). Not a test: it prints figures.

    python benchmarks/bench.py                 # full run over ../shared/corpus
    python benchmarks/bench.py --quick         # small sample, one repetition (CI)
    python benchmarks/bench.py --json out.json # also write the figures

Measures, with alternating runs and medians over repetitions:
  1. cold: the corpus's UTF-8 .sql files (the same list for both tools), pglint --no-cache;
  2. warm: the same pglint run again with its cache;
  3. one small migration file (process start to exit);
  4. one large file: the corpus concatenated 1x and 2x into single files, and repeated up
     to 50 MB (the issue's large migration), time, peak memory and peak memory per input
     byte, and the scaling exponent;
  5. a profile breakdown of one uncached single-process run (benchmarks/breakdown.py: read,
     parse, decode, rules, model, output, and the costliest rules).
Peak memory is the largest sum of RSS over the process tree (pglint's workers included),
sampled from /proc every 5 ms; the PSS sum (shared pages divided among the processes that
share them, from /proc/PID/smaps_rollup, after the first 0.5 s every 50 ms) is printed beside it, because forked
workers share their parent's pages and an RSS sum counts those once per process. squawk
comes from the squawk-cli package (pip install 'pglint[bench]'). pglint's own modules are
byte-compiled first (as `pip install` does), so that no run pays for compiling them (this
environment may set PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(os.environ.get("PGLINT_CORPUS", ROOT.parent / "shared" / "corpus"))  # as the tests


# -- measuring a command ---------------------------------------------------------------

def _tree_pids(pid: int) -> list[int]:
    out = []
    todo = [pid]
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                try:
                    with open(f"/proc/{p}/task/{task}/children") as f:
                        todo.extend(int(c) for c in f.read().split())
                except OSError:
                    pass
        except OSError:
            pass
    return out


def _field_kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree_rss_kb(pid: int) -> int:
    """Sum of the resident set sizes of a process and its descendants. Pages that forked
    workers share with their parent count once per process here."""
    return sum(_field_kb(f"/proc/{p}/status", "VmRSS:") for p in _tree_pids(pid))


def _tree_pss_kb(pid: int) -> int:
    """Sum of the proportional set sizes (a shared page divided among the processes that
    share it): what the tree really occupies. Costlier to read, so sampled less often."""
    return sum(_field_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in _tree_pids(pid))


def measure(cmd: list[str], cwd: str | None = None, env: dict | None = None) -> dict:
    """Wall time, peak tree RSS and PSS (MiB), exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env)
    peak = peak_pss = 0
    done = threading.Event()

    def sample():
        nonlocal peak, peak_pss
        n = 0
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            if n < 100 or n % 10 == 0:  # short runs (squawk's) sampled every time
                peak_pss = max(peak_pss, _tree_pss_kb(proc.pid))
            n += 1
            time.sleep(0.005)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    t.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {err.decode()[-500:]}")
    return {"wall": wall, "peak_mib": peak / 1024, "peak_pss_mib": peak_pss / 1024, "rc": proc.returncode}


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


# -- inputs ----------------------------------------------------------------------------

QUICK_TREES = ("river", "graphile-worker", "kestra_flyway", "hawkbit_flyway", "conductor_flyway",
               "mattermost-server_2021", "supabase-storage", "harbor", "temporal")


def utf8_sql_files(corpus: Path, quick: bool = False) -> list[str]:
    """Every UTF-8 .sql file (quick: a few whole migration trees, so that both tools see
    complete histories)."""
    out = []
    tops = [corpus / t for t in QUICK_TREES] if quick else [corpus]
    for top in tops:
        out.extend(_walk_utf8(top))
    return out


def _walk_utf8(corpus: Path) -> list[str]:
    out = []
    for root, dirs, files in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if not f.endswith(".sql"):
                continue
            p = os.path.join(root, f)
            try:
                with open(p, "rb") as fh:
                    fh.read().decode("utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # squawk aborts a whole run on a non-UTF-8 file
            out.append(p)
    return out


FIFTY_MB = 50_000_000


def sized(files: list[str], size: int, directory: str) -> str:
    """The files concatenated, again and again, whole files only, until ``size`` bytes."""
    path = os.path.join(directory, f"corpus_{size}.sql")
    written = 0
    with open(path, "wb") as out:
        while written < size:
            for f in files:
                with open(f, "rb") as fh:
                    written += out.write(fh.read())
                written += out.write(b"\n;\n")
                if written >= size:
                    break
    return path


def concatenated(files: list[str], times: int, directory: str) -> str:
    path = os.path.join(directory, f"corpus_x{times}.sql")
    with open(path, "w", encoding="utf-8") as out:
        for _ in range(times):
            for f in files:
                with open(f, encoding="utf-8") as fh:
                    out.write(fh.read())
                out.write("\n;\n")
    return path


SMALL = """-- add a column and an index to an existing table
ALTER TABLE users ADD COLUMN last_seen timestamptz;
CREATE INDEX users_last_seen_idx ON users (last_seen);
"""


# -- runs ------------------------------------------------------------------------------

def tools(args) -> dict[str, list[str]]:
    pglint = shutil.which("pglint", path=os.path.dirname(sys.executable)) or shutil.which("pglint")
    squawk = shutil.which("squawk", path=os.path.dirname(sys.executable)) or shutil.which("squawk")
    if not pglint:
        sys.exit("pglint is not installed in this environment (pip install -e '.[bench]')")
    if not squawk:
        sys.exit("squawk is not installed (pip install -e '.[bench]', which brings squawk-cli)")
    return {"pglint": [pglint, "--format", "json", "--isolated"], "squawk": [squawk, "--reporter", "json"]}


def versions(cmds) -> dict:
    def out(c):
        try:
            return subprocess.run(c, capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return "?"
    import pglast

    return {
        "pglint": out([cmds["pglint"][0], "--version"]),
        "squawk": out([cmds["squawk"][0], "--version"]),
        "pglast": pglast.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
    }


def alternate(label: str, a: list[str], b: list[str], reps: int, cwd=None) -> dict:
    ra, rb = [], []
    for i in range(reps):
        order = [(ra, a), (rb, b)] if i % 2 == 0 else [(rb, b), (ra, a)]
        for acc, cmd in order:
            acc.append(measure(cmd, cwd=cwd))
    res = {"pglint_wall": median(ra, "wall"), "squawk_wall": median(rb, "wall"),
           "pglint_peak_mib": median(ra, "peak_mib"), "squawk_peak_mib": median(rb, "peak_mib"),
           "pglint_peak_pss_mib": median(ra, "peak_pss_mib"), "squawk_peak_pss_mib": median(rb, "peak_pss_mib")}
    res["ratio"] = res["pglint_wall"] / res["squawk_wall"] if res["squawk_wall"] else float("nan")
    res["mem_ratio"] = res["pglint_peak_mib"] / res["squawk_peak_mib"] if res["squawk_peak_mib"] else float("nan")
    print(f"{label:<22} pglint {res['pglint_wall']:7.3f}s {res['pglint_peak_mib']:7.1f} MiB | "
          f"squawk {res['squawk_wall']:7.3f}s {res['squawk_peak_mib']:7.1f} MiB | "
          f"ratio {res['ratio']:.2f} (mem {res['mem_ratio']:.2f}; PSS {res['pglint_peak_pss_mib']:.0f} / "
          f"{res['squawk_peak_pss_mib']:.0f} MiB)", flush=True)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="small sample, one repetition (CI smoke run)")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        sys.exit(f"corpus not found: {corpus}")
    reps = 1 if args.quick else args.reps
    cmds = tools(args)
    import compileall

    compileall.compile_dir(str(ROOT / "pglint"), quiet=1)
    info = versions(cmds)
    print("machine:", json.dumps(info))
    files = utf8_sql_files(corpus, args.quick)
    size = sum(os.path.getsize(f) for f in files)
    print(f"inputs: {len(files)} UTF-8 .sql files, {size / 1e6:.1f} MB; {reps} repetition(s), alternating")
    results: dict = {"machine": info, "files": len(files), "bytes": size, "reps": reps}
    with tempfile.TemporaryDirectory(prefix="pglint-bench-") as tmp:
        cache = os.path.join(tmp, "cache")
        listfile = files
        results["cold"] = alternate("cold corpus", cmds["pglint"] + ["--no-cache", *listfile],
                                    cmds["squawk"] + listfile, reps)
        # warm: prime the cache once, then time cached runs against squawk's (uncached) time
        warm_cmd = cmds["pglint"] + ["--cache-dir", cache, *listfile]
        measure(warm_cmd)
        warm = [measure(warm_cmd) for _ in range(reps)]
        results["warm"] = {"pglint_wall": median(warm, "wall"), "pglint_peak_mib": median(warm, "peak_mib")}
        results["warm"]["vs_squawk_cold"] = results["warm"]["pglint_wall"] / results["cold"]["squawk_wall"]
        print(f"{'warm corpus':<22} pglint {results['warm']['pglint_wall']:7.3f}s "
              f"({results['warm']['vs_squawk_cold']:.2f}x squawk's cold time)", flush=True)
        small = os.path.join(tmp, "V42__small.sql")
        with open(small, "w") as f:
            f.write(SMALL)
        results["small"] = alternate("one small file", cmds["pglint"] + ["--no-cache", small],
                                     cmds["squawk"] + [small], max(reps, 3 if args.quick else 10))
        # the corpus as one file: 1x, 2x, and whole copies plus a part up to 50 MB (the
        # issue's size for one large migration); sizes in bytes, factors relative to 1x
        results["scaling"] = {}
        base = files[: 60] if args.quick else files
        target = 2 * sum(os.path.getsize(f) for f in base) + 1 if args.quick else FIFTY_MB
        inputs = [("1x", concatenated(base, 1, tmp)), ("2x", concatenated(base, 2, tmp)),
                  ("50MB" if not args.quick else "2x+", sized(base, target, tmp))]
        one = os.path.getsize(inputs[0][1])
        for label, path in inputs:
            size = os.path.getsize(path)
            r = results["scaling"][label] = alternate(f"one file {label} ({size / 1e6:.1f} MB)",
                                                      cmds["pglint"] + ["--no-cache", path],
                                                      cmds["squawk"] + [path], reps)
            r["input_mb"] = size / 1e6
            r["factor"] = size / one
            for tool in ("pglint", "squawk"):
                r[f"{tool}_bytes_per_input_byte"] = r[f"{tool}_peak_mib"] * 1.048576 / r["input_mb"]
                r[f"{tool}_pss_bytes_per_input_byte"] = r[f"{tool}_peak_pss_mib"] * 1.048576 / r["input_mb"]
            print(f"  memory per input byte: pglint {r['pglint_bytes_per_input_byte']:.1f} "
                  f"(PSS {r['pglint_pss_bytes_per_input_byte']:.1f}), squawk {r['squawk_bytes_per_input_byte']:.1f}",
                  flush=True)
        first, last = results["scaling"][inputs[0][0]], results["scaling"][inputs[-1][0]]
        for tool in ("pglint", "squawk"):
            t1, tn = first[f"{tool}_wall"], last[f"{tool}_wall"]
            exp = math.log(tn / t1) / math.log(last["factor"]) if t1 > 0 and tn > 0 else float("nan")
            results[f"{tool}_scaling_exponent"] = exp
            print(f"{tool} scaling exponent 1x->{last['factor']:.2f}x: {exp:.2f}")
    # where pglint's time goes (one uncached process over the same inputs)
    sample = [str(corpus / t) for t in QUICK_TREES] if args.quick else [str(corpus)]
    prof = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "breakdown.py"), *sample],
                          capture_output=True, text=True)
    print(prof.stdout, end="", flush=True)
    results["breakdown"] = prof.stdout
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

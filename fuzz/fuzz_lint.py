"""Coverage-guided fuzzing of pglint: bytes -> decode -> parse -> every rule -> suppressions ->
positions, with atheris (libFuzzer). A crash is any exception other than the ones pglint turns
into a diagnostic itself, or a broken invariant:

- a file that decodes gets positions inside it (offsets, lines, columns) for every finding;
- every statement's span is its text (inside the file, stripped, no trailing semicolon;
  embedded statements inside their parent);
- the same bytes give the same findings twice (no state leaks from one input to the next).

Run (the README's "Fuzzing" section):

    pip install -e '.[test,fuzz]'
    python fuzz/fuzz_lint.py -max_total_time=600 -rss_limit_mb=4096 -timeout=60 fuzz/work

The seed corpus is cut from ../shared/corpus (or PGLINT_CORPUS) at start, never copied into the
repository: statements from files spread over the whole corpus, written to ``fuzz/work`` (or the
first directory given) when it is empty; libFuzzer adds the inputs that reach new code there.
Besides libFuzzer's own byte mutations, a custom mutator applies the mutation kinds of
tests/fuzz_inputs.py (unclosed quotes and dollar quotes, stray semicolons, comment markers in
strings, deep nesting, NUL bytes, invalid UTF-8, CRLF and lone CR, a BOM in the middle, very long
lines, cuts and splices). A crashing input is written to ``crash-<sha1>``; reproduce it with
``python fuzz/fuzz_lint.py crash-<sha1>``.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.setrecursionlimit(10_000)


def _setup():
    from pglint.config.settings import Settings
    from pglint.engine.runner import make_dispatch, make_options

    opts = make_options(Settings())
    return opts, make_dispatch(opts)


_STATE: dict = {}


def check_one(data: bytes) -> None:
    """The fuzz target: raises on a crash or a broken invariant."""
    from fuzz_inputs import check_spans
    from pglint.engine.checker import lint_source
    from pglint.source.files import decode

    if not _STATE:
        _STATE["opts"], _STATE["dispatch"] = _setup()
    opts, dispatch = _STATE["opts"], _STATE["dispatch"]
    src, why = decode(data, "fuzz.sql")
    if src is None:
        assert why, "an undecodable input must say why"
        return
    try:
        res = lint_source(src, opts, dispatch, "fuzz.sql")
    except RecursionError:
        return  # the runner reports it as "pglint could not analyse this file: input nested too deeply"
    n = len(src.text)
    for d in res.diagnostics:
        assert 0 <= d.start <= d.end <= n, (d.rule, d.start, d.end, n)
        assert 1 <= d.line <= d.end_line <= src.line_count, (d.rule, d.line, d.end_line, src.line_count)
        assert d.column >= 1 and d.end_column >= 1 and d.message, d.rule
        assert d.rule in opts.rules
    check_spans(src)
    again = lint_source(src, opts, dispatch, "fuzz.sql")
    assert [(d.rule, d.start, d.end, d.message) for d in again.diagnostics] == \
        [(d.rule, d.start, d.end, d.message) for d in res.diagnostics], "different findings for the same input"


def seed_corpus(directory: Path, limit: int = 800) -> int:
    from conftest import CORPUS
    from fuzz_inputs import FRAGMENTS, corpus_seeds

    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        return 0
    seeds = corpus_seeds(CORPUS if CORPUS.is_dir() else None, limit) + FRAGMENTS
    for i, s in enumerate(seeds):
        (directory / f"seed-{i:04d}.sql").write_bytes(s[:4096])
    return len(seeds)


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    import atheris

    from fuzz_inputs import FRAGMENTS, MUTATIONS, mutate

    rnd = random.Random(seed)
    if rnd.random() < 0.5:
        return atheris.Mutate(data, max_size)
    kind = rnd.choice([k for k in MUTATIONS if k != "long-line"] if max_size < 100_000 else MUTATIONS)
    out = mutate(data, kind, rnd, rnd.choice(FRAGMENTS))
    return out[:max_size]


def main(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["pglint"]):
        import pglint.engine.checker  # noqa: F401
        import pglint.engine.runner  # noqa: F401
        import pglint.rules  # noqa: F401
        import pglint.source.parsing  # noqa: F401
    args = list(argv)
    dirs = [a for a in args[1:] if not a.startswith("-") and (not os.path.exists(a) or os.path.isdir(a))]
    files = [a for a in args[1:] if not a.startswith("-") and os.path.isfile(a)]
    if not files:  # fuzzing (not reproducing a crash): a corpus directory with seeds
        if not dirs:
            work = ROOT / "fuzz" / "work"
            args.append(str(work))
            dirs = [str(work)]
        n = seed_corpus(Path(dirs[0]))
        if n:
            print(f"seeded {dirs[0]} with {n} inputs cut from the corpus", file=sys.stderr)
    atheris.Setup(args, lambda data: check_one(bytes(data)), custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)

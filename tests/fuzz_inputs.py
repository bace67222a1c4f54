"""Hostile SQL-like inputs for the robustness tests and the fuzz target (fuzz/fuzz_lint.py).

Seeds are statements cut from the corpus (/work/shared/corpus, read at run time, never copied
into the repository) plus hand-written fragments; mutations are the kinds the hardening issue
lists, each one named so that a test can check that every kind is generated:

    unclosed-quote    '...   E'...   "...   /* ...   U&'...
    unclosed-dollar   $$...  $tag$...
    stray-semicolon   ;  ;;  a ; in the middle of a word
    comment-in-string '-- pglint: ignore[...]'  '/* x'  $$ -- $$  '*/'
    deep-nesting      ((((...  ARRAY[[[...  /* /* /* ...  CASE WHEN CASE ...  (SELECT (SELECT ...
    nul               a NUL byte
    invalid-utf8      \\xff  \\xc3 (cut sequence)  \\xed\\xa0\\x80 (surrogate)  \\xc0\\xaf (overlong)
    crlf              \\n -> \\r\\n
    lone-cr           \\n -> \\r
    bom-middle        EF BB BF somewhere inside
    long-line         100 kB to 1 MB without a line break
    cut               the bytes up to a random offset (may split a UTF-8 sequence)
    splice            the head of one input and the tail of another
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from hypothesis import strategies as st

FRAGMENTS: list[bytes] = [s.encode() for s in (
    "CREATE TABLE t (id bigint PRIMARY KEY, a text);\n",
    "ALTER TABLE t ADD COLUMN b int NOT NULL;\n",
    "CREATE INDEX i ON t (a);\n",
    "BEGIN;\n", "COMMIT;\n", "ROLLBACK;\n", "SET lock_timeout = '1s';\n",
    "DO $$ BEGIN UPDATE t SET a = 'x'; END $$;\n",
    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN RETURN 1; END $f$;\n",
    "-- pglint: ignore[index-not-concurrent] reason\n",
    "COPY t FROM stdin;\n1\t2\n\\.\n",
    "\\set x 1\n", "-- +goose Up\n", "-- +goose StatementBegin\n", "-- +goose StatementEnd\n", "-- +goose Down\n",
    "-- migrate:up\n", "SELECT :'v', ${x}, {{ .y }};\n",
    "UPDATE t SET a = 'é€😀';\n", "DELETE FROM t;\n", "VACUUM FULL t;\n", "DROP INDEX i;\n",
    "ALTER TABLE t ALTER COLUMN a TYPE varchar(10);\n",
    "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n",
)]

MUTATIONS = ("unclosed-quote", "unclosed-dollar", "stray-semicolon", "comment-in-string", "deep-nesting", "nul",
             "invalid-utf8", "crlf", "lone-cr", "bom-middle", "long-line", "cut", "splice")

_UNCLOSED = [b"'", b"E'", b'"', b"/*", b"U&'", b"B'", b"X'"]
_DOLLAR = [b"$$", b"$body$", b"$f$ BEGIN ", b"AS $$\n"]
_SEMI = [b";", b";;", b"\n;\n", b" ; "]
_IN_STRING = [b"'-- pglint: ignore[index-not-concurrent]'", b"'/* not a comment'", b"$$ -- $$", b"'*/'",
              b"E'\\' -- '", b"$t$ /* $t$", b"'; DROP TABLE t; --'", b'"--col"', b"'\\'"]
_BAD_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\x80", b"\xe2\x82"]


def nesting(kind: int, depth: int) -> bytes:
    """Deeply nested SQL of a few shapes (balanced or not)."""
    if kind == 0:
        return b"SELECT " + b"(" * depth + b"1" + b")" * depth + b";\n"
    if kind == 1:
        return b"SELECT " + b"(" * depth + b"\n"  # never closed
    if kind == 2:
        return b"SELECT ARRAY" + b"[" * depth + b"1" + b"]" * depth + b";\n"
    if kind == 3:
        return b"/*" * depth + b" x " + b"*/" * depth + b"\nSELECT 1;\n"  # nested comments
    if kind == 4:
        return b"SELECT " + b"CASE WHEN true THEN " * depth + b"1" + b" END" * depth + b";\n"
    if kind == 5:
        return b"SELECT " + b"(SELECT " * depth + b"1" + b")" * depth + b";\n"
    if kind == 6:
        return b"DO $$ BEGIN " + b"BEGIN " * depth + b"NULL; " + b"END; " * depth + b"END $$;\n"
    return b"SELECT " + b"- " * depth + b"1;\n"  # unary minus chain


def mutate(data: bytes, kind: str, rnd: random.Random, other: bytes = b"") -> bytes:
    """``data`` with one mutation of ``kind`` at a random place."""
    pos = rnd.randrange(len(data) + 1)

    def insert(piece: bytes) -> bytes:
        return data[:pos] + piece + data[pos:]

    if kind == "unclosed-quote":
        return insert(rnd.choice(_UNCLOSED))
    if kind == "unclosed-dollar":
        return insert(rnd.choice(_DOLLAR))
    if kind == "stray-semicolon":
        return insert(rnd.choice(_SEMI))
    if kind == "comment-in-string":
        return insert(rnd.choice(_IN_STRING))
    if kind == "deep-nesting":
        return insert(nesting(rnd.randrange(8), rnd.choice([50, 500, 3000, 20000])))
    if kind == "nul":
        return insert(b"\x00")
    if kind == "invalid-utf8":
        return insert(rnd.choice(_BAD_UTF8))
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    if kind == "lone-cr":
        if rnd.random() < 0.5:
            return data.replace(b"\n", b"\r")
        return insert(b"\r")
    if kind == "bom-middle":
        return insert(b"\xef\xbb\xbf")
    if kind == "long-line":
        n = rnd.choice([100_000, 300_000, 1_000_000])
        filler = rnd.choice([b"x", b"'" + b"y" * (n - 2) + b"'", b"SELECT 1;", b"a, "])
        return insert(filler * (n // len(filler)) if len(filler) < 10 else filler)
    if kind == "cut":
        return data[:pos]
    if kind == "splice":
        j = rnd.randrange(len(other) + 1) if other else 0
        return data[:pos] + other[j:]
    raise ValueError(kind)


def corpus_seeds(corpus: Path | None, limit: int = 600, seed: int = 0) -> list[bytes]:
    """Up to ``limit`` pieces of corpus files (raw bytes: invalid UTF-8 stays invalid): each a
    few statements cut at statement boundaries, from files spread over the whole corpus."""
    if corpus is None or not corpus.is_dir():
        return []
    files = []
    for root, dirs, names in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".sql")]
    rnd = random.Random(seed)
    rnd.shuffle(files)
    out: list[bytes] = []
    for f in files:
        try:
            data = Path(f).read_bytes()
        except OSError:
            continue
        if not data:
            continue
        parts = data.split(b";")
        k = rnd.randrange(len(parts))
        piece = b";".join(parts[k:k + rnd.randint(1, 4)])
        if piece.strip():
            out.append(piece[:20_000] + b";\n")
        if len(out) >= limit:
            break
    return out


@st.composite
def hostile_sql(draw, seeds: list[bytes], kinds=MUTATIONS, max_mutations: int = 4):
    """(bytes, [mutation kinds applied]): seeds joined and mutated."""
    pool = seeds + FRAGMENTS
    parts = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
    data = b"".join(parts)
    rnd = draw(st.randoms(use_true_random=False))
    applied = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=max_mutations))
    for kind in applied:
        data = mutate(data, kind, rnd, rnd.choice(pool))
    return data, applied


# -- invariants shared by tests/test_hostile_inputs.py and fuzz/fuzz_lint.py -------------------------

def check_spans(src) -> None:
    """Every statement's span is its text: inside the file, not empty, no surrounding
    blanks, no trailing semicolon; embedded statements lie inside their parent."""
    from pglint.source.parsing import parse_file

    try:
        pf = parse_file(src)
    except RecursionError:
        return  # reported as "nested too deeply" by the runner
    n = len(pf.sql)
    assert n == len(src.text)
    for s in pf.all_statements():
        assert 0 <= s.start < s.end <= n, (s.type, s.start, s.end, n)
        seg = pf.sql[s.start:s.end]
        assert seg == seg.strip(), (s.type, seg[:80])
        if s.parent is None:
            assert not seg.endswith(";"), seg[-80:]
        else:
            assert s.parent.start <= s.start and s.end <= s.parent.end
        if not s.unit.single_quoted:
            last_token_ends_the_span(seg)
    for p in pf.errors:
        assert 0 <= p.start <= p.end <= n and 0 <= p.offset <= n, (p.start, p.end, p.offset, n)


def last_token_ends_the_span(seg: str) -> None:
    """The span ends with the statement's last token: not with a comment after it."""
    from pglast.parser import scan

    try:
        tokens = scan(seg)
    except Exception:  # noqa: BLE001 - text pglast cannot scan: nothing to compare
        return
    if tokens:
        assert tokens[-1].name not in ("SQL_COMMENT", "C_COMMENT") and tokens[-1].end + 1 == len(seg), seg[-80:]

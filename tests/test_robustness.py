"""Any input: no exception escapes, positions stay inside the file, spans are statement
text, output is deterministic (hypothesis over generated and mutated SQL)."""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, ROOT
from pglint.config.settings import Settings
from pglint.engine.runner import make_dispatch, make_options
from pglint.engine.checker import lint_source
from pglint.source.files import decode
from pglint.source.text import SourceText

OPTS = make_options(Settings())
DISPATCH = make_dispatch(OPTS)

FRAGMENTS = [
    "CREATE TABLE t (id bigint PRIMARY KEY, a text);", "ALTER TABLE t ADD COLUMN b int NOT NULL;",
    "CREATE INDEX i ON t (a);", "BEGIN;", "COMMIT;", "ROLLBACK;", "SET lock_timeout = '1s';",
    "DO $$ BEGIN UPDATE t SET a = 'x'; END $$;", "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN RETURN 1; END $f$;",
    "'unterminated", "$$ unterminated", "/* unterminated", '"', "E'\\'", ";", ";;", "(", ")", "((((", "\\gset", "\\set x 1\n",
    ":var", ":'v'", "${x}", "{{ .x }}", "@extschema@", "-- pglint: ignore[index-not-concurrent]\n",
    "-- pglint: ignore-file[PG1]\n", "-- +goose Up\n", "-- +goose Down\n", "-- migrate:up\n", "COPY t FROM stdin;\n1\t2\n\\.\n",
    "\r\n", "\r", "\n", "\ufeff", "\x00", "é€😀", "SELECT 'é' frm t;", "VACUUM FULL t;", "CREATE INDEX CONCURRENTLY j ON t(a);",
    "ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (1) TO (2);", "DROP INDEX i;", "REINDEX TABLE t;",
    "SELECT " + "(" * 300 + "1" + ")" * 300 + ";", "x" * 2000,
]


def check_invariants(text: str, path: str = "fuzz.sql"):
    src = SourceText(path, text)
    res = lint_source(src, OPTS, DISPATCH, path)
    n = len(text)
    for d in res.diagnostics:
        assert 0 <= d.start <= d.end <= n, (d.rule, d.start, d.end, n)
        assert d.line >= 1 and d.column >= 1 and d.end_line >= d.line
        assert d.line <= src.line_count and d.end_line <= src.line_count
        assert d.message and d.rule in OPTS.rules
    return res


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25), st.randoms(use_true_random=False))
def test_spliced_fragments(parts, rnd):
    text = " ".join(parts)
    if text and rnd.random() < 0.3:  # cut somewhere
        text = text[: rnd.randrange(len(text))]
    check_invariants(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", blacklist_categories=("Cs",)), max_size=400))
def test_arbitrary_text(text):
    check_invariants(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_or_explain(data):
    src, why = decode(data, "x.sql")
    assert (src is None) != (why is None)
    if src is not None:
        check_invariants(src.text)


def _corpus_statements(limit=400):
    out = []
    if not CORPUS.is_dir():
        return ["SELECT 1;"]
    for root, _, files in sorted(os.walk(CORPUS)):
        for f in sorted(files):
            if f.endswith(".sql"):
                try:
                    text = open(os.path.join(root, f), encoding="utf-8").read()
                except (UnicodeDecodeError, OSError):
                    continue
                out.extend(s for s in text.split(";")[:3] if s.strip())
        if len(out) > limit:
            break
    return out[:limit]


CORPUS_STMTS = _corpus_statements()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(CORPUS_STMTS), min_size=1, max_size=8), st.randoms(use_true_random=False),
       st.sampled_from(["", "'", "$$", "$x$", ";", "--", "/*", "*/", '"', "(", ")", "\x00", "\r", "\ufeff", "\\"]))
def test_mutated_corpus_statements(stmts, rnd, junk):
    text = ";\n".join(stmts)
    pos = rnd.randrange(len(text) + 1)
    text = text[:pos] + junk + text[pos:]
    check_invariants(text)


def test_spans_are_the_statement_text():
    text = (ROOT / "fixtures" / "core" / "rails_style_migration.sql").read_text()
    from pglint.source.parsing import parse_file

    pf = parse_file(SourceText("x", text))
    for s in pf.statements:
        seg = text[s.start:s.end]
        assert seg == seg.strip() and seg
        assert not seg.endswith(";")


def test_same_output_for_jobs_and_cache(tmp_path):
    import json
    import subprocess

    from conftest import pglint_path

    target = str(ROOT / "fixtures")
    outs = []
    for extra in (["--jobs", "1", "--no-cache"], ["--jobs", "4", "--no-cache"],
                  ["--cache-dir", str(tmp_path / "c")], ["--cache-dir", str(tmp_path / "c")]):
        p = subprocess.run([pglint_path(), "--format", "json", *extra, target], capture_output=True, text=True)
        doc = json.loads(p.stdout)
        doc["summary"].pop("elapsed"), doc["summary"].pop("timings")
        outs.append(doc)
    assert all(o == outs[0] for o in outs[1:])

"""Property: a suppression for rule A on statement S removes findings of A on S (and on the
statements embedded in S) and nothing else: never a finding of another rule, never a finding
of A on another statement. Checked by linting each generated file with and without the
comment, in every form a suppression can take (comment above, trailing comment on the first
line, block comment before the statement, rule code instead of name, squawk-ignore)."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import lint
from pglint.engine.registry import all_rules
from pglint.engine.squawk_compat import SQUAWK_TO_PGLINT
from pglint.source.parsing import parse_file
from pglint.source.text import SourceText

POOL = [
    "CREATE INDEX i{n} ON t (a);",
    "CREATE INDEX k{n}\n    ON t (b);",
    "CREATE UNIQUE INDEX u{n} ON t (a, b);",
    "ALTER TABLE t ADD COLUMN c{n} int NOT NULL;",
    "ALTER TABLE t ADD COLUMN d{n} text DEFAULT random()::text;",
    "ALTER TABLE t ALTER COLUMN a TYPE bigint;",
    "ALTER TABLE t ALTER COLUMN b SET NOT NULL;",
    "ALTER TABLE t ADD CONSTRAINT fk{n} FOREIGN KEY (b) REFERENCES u (id);",
    "ALTER TABLE t ADD CONSTRAINT ck{n} CHECK (a > 0);",
    "ALTER TABLE t RENAME COLUMN a TO a{n};",
    "ALTER TABLE t DROP COLUMN z{n};",
    "DELETE FROM t;",
    "UPDATE t SET a = 1;",
    "SELECT * FROM t;",
    "SELECT * FROM t WHERE b = NULL;",
    "INSERT INTO t VALUES (1, 2);",
    "DROP TABLE IF EXISTS old{n};",
    "TRUNCATE t;",
    "VACUUM FULL t;",
    "REINDEX TABLE t;",
    "GRANT ALL ON t TO PUBLIC;",
    "CREATE TABLE x{n} (id serial PRIMARY KEY, ts timestamp, v varchar(20), m money, j json, c char(3));",
    "CREATE TABLE nopk{n} (a int);",
    "SET lock_timeout = '1s';",
    "SET statement_timeout = 0;",
    "BEGIN;",
    "COMMIT;",
    "CREATE INDEX CONCURRENTLY cc{n} ON t (a);",
    "DO $$ BEGIN CREATE INDEX j{n} ON t (a); DELETE FROM t; END $$;",
    "CREATE FUNCTION f{n}() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  DELETE FROM t;\n  UPDATE t SET a = 1;\nEND $$;",
    "CREATE FUNCTION s{n}(q text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN EXECUTE 'SELECT ' || q; END $$;",
    "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0;",
    "ALTER TYPE mood ADD VALUE 'x{n}';",
]

SUPPRESSIBLE = sorted(n for n, r in all_rules().items()
                      if r.engine and n not in ("unused-suppression", "unreadable-file", "syntax-error"))
_DIGITS = re.compile(r"\d+")


def analyse(text: str, **options):
    """Findings keyed so that they compare across the two runs: (rule, statement index,
    message with numbers masked, offset inside the statement or the file)."""
    diags = lint(text, **options)
    pf = parse_file(SourceText("test.sql", text))
    stmts = list(pf.all_statements())
    starts = {i: s.start for i, s in enumerate(stmts)}
    keys = []
    for d in diags:
        base = starts.get(d.statement, 0) if d.statement is not None else 0
        keys.append((d.rule, d.statement, _DIGITS.sub("#", d.message), d.start - base if d.statement is not None
                     else None))
    return keys, stmts


def family(stmts, index: int) -> set[int]:
    """``index`` and the statements embedded in it, at any depth."""
    ids = {id(stmts[index])}
    out = {index}
    changed = True
    while changed:
        changed = False
        for i, s in enumerate(stmts):
            if i not in out and s.parent is not None and id(s.parent) in ids:
                out.add(i)
                ids.add(id(s))
                changed = True
    return out


@st.composite
def case(draw):
    picks = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=8))
    stmts = [p.format(n=k) for k, p in enumerate(picks)]
    target = draw(st.integers(0, len(stmts) - 1))
    form = draw(st.sampled_from(["above", "trailing", "inline-block", "code", "squawk"]))
    use_found = draw(st.sampled_from([True, True, True, False]))  # a rule that fires on S, or any rule
    any_rule = draw(st.sampled_from(SUPPRESSIBLE))
    squawk_rule = draw(st.sampled_from(sorted(SQUAWK_TO_PGLINT)))
    k = draw(st.integers(0, 10_000))
    return stmts, target, form, use_found, any_rule, squawk_rule, k


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case())
def test_a_suppression_removes_only_what_it_names(c):
    stmts, target, form, use_found, any_rule, squawk_rule, k = c
    text = "\n".join(stmts) + "\n"
    options = {"squawk_compat": True} if form == "squawk" else {}
    before, parsed = analyse(text, **options)
    top = [i for i, s in enumerate(parsed) if s.parent is None]
    assert len(top) == len(stmts)
    s_index = top[target]
    fam = family(parsed, s_index)
    fired = sorted({r for r, st_, _, _ in before if st_ in fam and r in SUPPRESSIBLE})
    if form == "squawk":
        hits = sorted(q for q, names in SQUAWK_TO_PGLINT.items() if set(names) & set(fired))
        if use_found and hits:
            squawk_rule = hits[k % len(hits)]
        named = set(SQUAWK_TO_PGLINT[squawk_rule])
        comment = f"-- squawk-ignore {squawk_rule}"
    else:
        rule = fired[k % len(fired)] if (use_found and fired) else any_rule
        named = {rule}
        token = all_rules()[rule].code if form == "code" else rule
        comment = f"-- pglint: ignore[{token}] generated"
    start = parsed[s_index].start
    if form == "trailing":
        eol = text.find("\n", start)
        new = text[:eol] + " " + comment + text[eol:]
    elif form == "inline-block":
        new = text[:start] + "/*" + comment[2:] + " */ " + text[start:]
    else:
        new = text[:start] + comment + "\n" + text[start:]
    after, parsed2 = analyse(new, **options)
    assert [s.type for s in parsed2] == [s.type for s in parsed]

    removed = Counter(before) - Counter(after)
    added = Counter(after) - Counter(before)
    event(f"{form}: {'removed findings' if removed else 'removed nothing'}")
    for rule, stmt, msg, _ in removed:
        assert rule in named and stmt in fam, (f"the suppression {comment!r} on statement {s_index} removed "
                                               f"{rule} on statement {stmt}: {msg}", new)
    for rule, stmt, msg, _ in added:
        assert rule == "unused-suppression", (f"{comment!r} added {rule} on statement {stmt}: {msg}", new)
    # and it does remove what it names on its statement
    left = [(r, st_) for r, st_, _, _ in after if r in named and st_ in fam]
    assert left == [], (comment, left, new)


def test_a_suppression_above_one_statement_leaves_the_same_rule_on_the_next():
    text = "CREATE INDEX a ON t (x);\n-- pglint: ignore[index-not-concurrent]\nCREATE INDEX b ON t (y);\nCREATE INDEX c ON t (z);\n"
    lines = sorted(d.line for d in lint(text) if d.rule == "index-not-concurrent")
    assert lines == [1, 4]

"""The human report written to a file or a pipe: reporters/full.py writes the text itself
(_Plain) instead of going through rich's rendering for every line; it must be exactly what
rich writes there."""

import pytest

from pglint.cli import main
from pglint.reporters import full

# findings whose texts hold what rich treats specially: a tab, markup-like brackets, wide
# characters, a very long name, and a help long enough to be wrapped
SQL = (
    'CREATE TABLE "t[bold]x" (id serial PRIMARY KEY, "col\tumn" json, 名前 timestamp);\n'
    'ALTER TABLE "t[bold]x" ADD COLUMN c int NOT NULL;\n'
    "CREATE INDEX ix ON \"t[bold]x\" (c);\n"
    "UPDATE users SET a = 1;\n"
    'ALTER TABLE "' + "x" * 70 + '" RENAME COLUMN a TO b;\n'
    "DELETE FROM t WHERE x = NULL;\n"
)


@pytest.mark.parametrize("layout", [["--no-summary-first"], ["--summary-first"], ["--summary-first", "--group-by", "file"]],
                         ids=["by-finding", "summary-first", "by-file"])
def test_plain_text_is_what_rich_writes(tmp_path, monkeypatch, layout):
    src = tmp_path / "V1__x.sql"
    src.write_text(SQL * 3, encoding="utf-8")
    fast, slow = tmp_path / "fast.txt", tmp_path / "slow.txt"
    args = ["--isolated", "--no-cache", *layout, str(src)]
    assert main([*args, "-o", str(fast)]) == 1
    monkeypatch.setattr(full, "_Plain", lambda console, out: console)  # every line through rich
    assert main([*args, "-o", str(slow)]) == 1
    a, b = fast.read_text(encoding="utf-8"), slow.read_text(encoding="utf-8")
    cut = a.rindex("Found ")  # the summary line holds the run's time
    assert a.count("\n") > 40
    assert a[:cut] == b[:b.rindex("Found ")]
    assert "\t" in SQL and "[bold]" in a  # the special cases reached the report

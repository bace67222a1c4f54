"""Issue 18, point 2: rollback files keep the locking rules, compatibility findings are
informational there, and the `rollbacks` setting chooses."""

from __future__ import annotations

import pytest

from pglint.config.settings import ConfigError, settings_from_table
from pglint.engine.runner import run_paths
from pglint.reporters import summary_counts, summary_line

UP = "CREATE TABLE members (id bigint PRIMARY KEY, handle text, joined date);\n"
UP2 = "SET lock_timeout = '2s';\nALTER TABLE members ADD COLUMN bio text;\n"
# undoes 2: drops the column it added (fine), and renames and drops older things
DOWN2 = ("ALTER TABLE members DROP COLUMN bio;\nALTER TABLE members RENAME COLUMN handle TO nick;\n"
         "ALTER TABLE members DROP COLUMN joined;\nCREATE INDEX members_nick ON members (nick);\n")


def run(tmp_path, **table):
    for name, text in {"0001_init.up.sql": UP, "0002_bio.up.sql": UP2, "0002_bio.down.sql": DOWN2}.items():
        (tmp_path / name).write_text(text)
    settings, _ = settings_from_table(table, "<test>", str(tmp_path))
    res = run_paths([str(tmp_path)], settings, jobs=1)
    down = next(f for f in res.files if f.path.endswith("0002_bio.down.sql"))
    return res, [(d.line, d.rule, d.severity) for d in down.diagnostics]


def test_default_lint_makes_compatibility_findings_info(tmp_path):
    res, down = run(tmp_path)
    # the column the up added is dropped without a finding; the older ones are info;
    # the index build locks the table in a rollback too
    assert (2, "rename-column", "info") in down and (3, "drop-column", "info") in down
    assert (4, "index-not-concurrent", "warning") in down
    assert not any(line == 1 and rule == "drop-column" for line, rule, _ in down)
    n = sum(1 for d in res.diagnostics if d.rollback)
    assert n == len(down) and summary_counts(res)["rollback_diagnostics"] == n
    assert f"{n} findings from rollback files or down sections" in summary_line(res)


def test_locks_only_keeps_the_locking_findings(tmp_path):
    from pglint.engine.registry import all_rules

    _, down = run(tmp_path, rollbacks="locks-only")
    rules = all_rules()
    assert down and all(rules[rule].category in ("locking", "meta") for _, rule, _ in down)
    assert (4, "index-not-concurrent", "warning") in down
    assert not {"rename-column", "drop-column", "non-idempotent-ddl"} & {rule for _, rule, _ in down}


def test_skip_drops_every_rollback_finding(tmp_path):
    res, down = run(tmp_path, rollbacks="skip")
    assert down == [] and summary_counts(res)["rollback_diagnostics"] == 0
    assert len(res.files) == 3  # the rollback is still read (and listed), its findings dropped


def test_down_sections_follow_the_setting(tmp_path):
    goose = ("-- +goose Up\nSET lock_timeout = '2s';\nALTER TABLE members ADD COLUMN bio text;\n"
             "-- +goose Down\nALTER TABLE members RENAME COLUMN handle TO nick;\n")
    (tmp_path / "00005_bio.sql").write_text(goose)
    for policy, expected in (("lint", [("rename-column", "info")]), ("locks-only", []), ("skip", [])):
        settings, _ = settings_from_table({"rollbacks": policy, "select": ["rename-column", "drop-column"]},
                                          "<test>", str(tmp_path))
        res = run_paths([str(tmp_path / "00005_bio.sql")], settings, jobs=1)
        assert [(d.rule, d.severity) for d in res.diagnostics] == expected, policy


@pytest.mark.parametrize("value", ["all", True, ["lint"]])
def test_bad_values_are_refused(value):
    with pytest.raises(ConfigError, match="'rollbacks' must be one of"):
        settings_from_table({"rollbacks": value}, "<test>", ".")

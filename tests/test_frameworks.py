"""SQL emitted by ORMs' migration tools (Django sqlmigrate, Alembic offline mode), linted
through stdin as the README's recipes do."""

import json
import subprocess

from conftest import ROOT, pglint_path

FW = ROOT / "fixtures" / "frameworks"


def lint_stdin(name):
    path = FW / name
    p = subprocess.run([pglint_path(), "--format", "json", "-", "--stdin-filename", f"app/migrations/{name}",
                        "--assume-in-transaction"], input=path.read_text(), capture_output=True, text=True)
    assert "Traceback" not in p.stderr
    return p, json.loads(p.stdout)


def test_django_sqlmigrate_output():
    p, doc = lint_stdin("django_sqlmigrate_0042.sql")
    assert p.returncode == 1
    got = {(d["line"], d["rule"]) for d in doc["diagnostics"]}
    assert (11, "index-not-concurrent") in got
    # Django adds a nullable ForeignKey as ADD COLUMN ... NULL REFERENCES ... with no default:
    # PostgreSQL marks the key valid without reading the table (checked on PostgreSQL 15)
    assert (10, "constraint-without-not-valid") not in got
    assert (6, "statements-after-exclusive-lock") in got  # Django runs the whole migration in one transaction
    assert all(d["path"] == "app/migrations/django_sqlmigrate_0042.sql" for d in doc["diagnostics"])


def test_alembic_offline_output_creates_new_tables_only():
    p, doc = lint_stdin("alembic_offline_upgrade.sql")
    rules = {d["rule"] for d in doc["diagnostics"]}
    # the table is created in the same script: its index and new column lock nothing in use
    assert not rules & {"index-not-concurrent", "lock-timeout-missing", "add-column-rewrites"}

"""Databases and roles of their own for the live-mode tests, in the shared test cluster
(unique names, dropped afterwards), and a way to run the real CLI in-process."""

from __future__ import annotations

import contextlib
import io
import json
import uuid

import psycopg


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


class LiveDB:
    """A database created for one test module."""

    def __init__(self, cluster, prefix: str) -> None:
        self.cluster = cluster
        self.name = unique(prefix)
        with psycopg.connect(cluster.dsn, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{self.name}"')
        self.url = cluster.url(self.name)
        self.roles: list[str] = []

    def connect(self, **kw) -> psycopg.Connection:
        kw.setdefault("autocommit", True)
        return psycopg.connect(self.url, **kw)

    def execute(self, sql: str, params=None) -> list:
        with self.connect() as c:
            cur = c.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def scalar(self, sql: str, params=None):
        rows = self.execute(sql, params)
        return rows[0][0] if rows else None

    def role(self, prefix: str, *grants: str, password: str | None = None, superuser: bool = False) -> str:
        """A login role of this test (dropped with the database)."""
        name = unique(prefix)
        pw = f" PASSWORD '{password}'" if password else ""
        with psycopg.connect(self.cluster.dsn, autocommit=True) as c:
            c.execute(f'CREATE ROLE "{name}" LOGIN{" SUPERUSER" if superuser else ""}{pw}')
        self.roles.append(name)
        for g in grants:
            self.execute(g.format(role=f'"{name}"'))
        return name

    def url_as(self, role: str, password: str | None = None) -> str:
        auth = f"{role}:{password}" if password else role
        return f"postgresql://{auth}@127.0.0.1:{self.cluster.port}/{self.name}"

    def drop(self) -> None:
        with psycopg.connect(self.cluster.dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            for r in self.roles:
                c.execute(f'DROP ROLE IF EXISTS "{r}"')


def run_cli(*args: str) -> tuple[int, str, str]:
    """The real command line (pglint.cli.main), in-process: (exit code, stdout, stderr)."""
    from pglint.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    o, e = out.getvalue(), err.getvalue()
    assert "Traceback" not in o + e
    return rc, o, e


def run_json(*args: str) -> tuple[int, list[dict]]:
    rc, out, err = run_cli(*args, "--format", "json")
    assert rc in (0, 1), f"exit {rc}: {err}"
    diags = json.loads(out)["diagnostics"]
    from test_message_shape import shape_problems  # every live finding's first line fits too (issue 20)

    bad = [f"{d['rule']}: {shape_problems(d['message'])}: {d['message']!r}" for d in diags
           if shape_problems(d["message"])]
    assert not bad, "\n".join(bad)
    return rc, diags


def rules(diags: list[dict]) -> list[str]:
    return sorted(d["rule"] for d in diags)


def write_config(path, **live) -> str:
    """A pglint.toml with a [live] table (keys with underscores become dashes)."""
    lines = ["[live]"]
    for k, v in live.items():
        lines.append(f"{k.replace('_', '-')} = {json.dumps(v)}")
    f = path / "pglint.toml"
    f.write_text("\n".join(lines) + "\n")
    return str(f)

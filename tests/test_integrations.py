"""Where users run pglint: the real pre-commit against this checkout, the composite
GitHub Action's own scripts, and the README sections that show them."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import IN_CI, ROOT

BAD = "CREATE INDEX users_email_idx ON users (email);\n"
GOOD = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"


def need_git() -> str:
    git = shutil.which("git")
    if git is None:
        if IN_CI:
            pytest.fail("git is required under CI")
        pytest.skip("git is not installed")
    return git


def make_repo(path: Path) -> Path:
    git = need_git()
    path.mkdir()
    (path / "db").mkdir()
    (path / "db" / "V2__bad.sql").write_text(BAD)
    (path / "db" / "V3__good.sql").write_text(GOOD)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "migrations"]):
        subprocess.run([git, *cmd], cwd=path, check=True, env=env, capture_output=True)
    return path


def test_pre_commit_hooks_file():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"pglint", "pglint-fix"}
    for h in hooks.values():
        assert h["language"] == "python" and h["types"] == ["sql"]
        assert h.get("pass_filenames", True) is True
    assert hooks["pglint"]["entry"] == "pglint check"
    assert hooks["pglint-fix"]["entry"] == "pglint check --fix"


@pytest.mark.slow
def test_pre_commit_try_repo(tmp_path):
    """The real pre-commit installs this checkout (HEAD plus uncommitted changes to
    tracked files) and runs the pglint hook: the bad migration fails with the
    diagnostic in the output, the good one passes."""
    need_git()
    if not (ROOT / ".git").exists():
        if IN_CI:
            pytest.fail("the pre-commit test needs a git checkout of pglint under CI")
        pytest.skip("not a git checkout")
    repo = make_repo(tmp_path / "app")
    pre_commit = Path(sys.executable).parent / "pre-commit"
    cmd = [str(pre_commit) if pre_commit.exists() else shutil.which("pre-commit"), "try-repo", str(ROOT), "pglint"]
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "PRE_COMMIT_HOME")}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")

    bad = subprocess.run([*cmd, "--files", "db/V2__bad.sql"], cwd=repo, env=env, capture_output=True,
                         text=True, timeout=600)
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1, out
    assert "pglint" in out and "Failed" in out
    assert "db/V2__bad.sql:1:1: warning index-not-concurrent (PG101)" in out
    assert "Traceback" not in out

    good = subprocess.run([*cmd, "--files", "db/V3__good.sql"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)
    out = good.stdout + good.stderr
    assert good.returncode == 0, out
    assert "Passed" in out and "index-not-concurrent" not in out

    # the pglint-fix hook rewrites the bad migration (pre-commit fails because the hook
    # modified a file), then passes on the fixed file
    fix_cmd = [*cmd[:-1], "pglint-fix", "--files", "db/V2__bad.sql"]
    first = subprocess.run(fix_cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    out = first.stdout + first.stderr
    assert first.returncode == 1 and "files were modified by this hook" in out, out
    # Flyway runs a migration of CREATE INDEX CONCURRENTLY alone without a transaction; a SET
    # beside it would make the migration mixed (refused): only CONCURRENTLY is added
    assert "Fixed 1 problem in 1 file." in out and "Traceback" not in out
    assert (repo / "db" / "V2__bad.sql").read_text() == GOOD
    second = subprocess.run(fix_cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    out = second.stdout + second.stderr
    assert second.returncode == 0 and "Passed" in out, out


# -- the GitHub Action ---------------------------------------------------------------------

def action():
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def step(a, step_id):
    return next(s for s in a["runs"]["steps"] if s.get("id") == step_id)


def test_action_definition():
    a = action()
    assert a["runs"]["using"] == "composite"
    assert set(a["inputs"]) >= {"paths", "changed-since", "sarif-file", "args", "fail-on-findings", "version"}
    assert a["inputs"]["changed-since"]["default"] == "${{ github.event.pull_request.base.sha }}"
    assert step(a, "lint")["env"]["PGLINT_CHANGED_SINCE"] == "${{ inputs.changed-since }}"
    assert "--changed-since" in step(a, "lint")["run"]
    for s in a["runs"]["steps"]:
        if "run" in s:
            assert s["shell"] == "bash"
            # inputs reach the scripts through the environment, never spliced into the code
            assert "${{" not in s["run"]
            subprocess.run(["bash", "-n", "-c", s["run"]], check=True)


def run_step(s, env, cwd):
    full = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    full.update(env)
    return subprocess.run(["bash", "-c", s["run"]], cwd=cwd, env=full, capture_output=True, text=True, timeout=900)


def outputs(path: Path) -> dict:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.mark.slow
def test_action_scripts_install_and_lint(tmp_path):
    """The action's install and lint steps, run as the runner runs them: pglint is
    installed from this checkout into a fresh virtualenv, then writes SARIF and prints
    the report with one annotation per finding; the step fails on findings unless told
    not to."""
    a = action()
    repo = make_repo(tmp_path / "app")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    out_file = tmp_path / "install.out"
    inst = run_step(step(a, "install"), {"PGLINT_PYTHON": sys.executable, "PGLINT_VERSION": "",
                                         "PGLINT_SOURCE": str(ROOT), "RUNNER_TEMP": str(runner_temp),
                                         "GITHUB_OUTPUT": str(out_file)}, repo)
    assert inst.returncode == 0, inst.stderr[-3000:]
    exe = outputs(out_file)["pglint"]
    assert Path(exe).is_file() and str(runner_temp) in exe

    lint = step(a, "lint")
    base_env = {"PGLINT": exe, "PGLINT_PATHS": "db", "PGLINT_CHANGED_SINCE": "", "PGLINT_SARIF": "pglint.sarif",
                "PGLINT_ARGS": "--pg-version 14", "PGLINT_FAIL": "true", "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(repo)}
    gh_out = tmp_path / "lint.out"
    p = run_step(lint, {**base_env, "GITHUB_OUTPUT": str(gh_out)}, repo)
    assert p.returncode == 1, p.stdout + p.stderr
    assert outputs(gh_out) == {"sarif-file": "pglint.sarif", "exit-code": "1"}
    assert "::warning file=db/V2__bad.sql,line=1,endLine=1,col=1,endColumn=46,title=index-not-concurrent::" in p.stdout
    assert "index-not-concurrent (PG101)" in p.stdout  # the full report in the log
    assert "V3__good.sql" not in "".join(ln for ln in p.stdout.splitlines() if ln.startswith("::"))
    sarif = json.loads((repo / "pglint.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"db/V2__bad.sql"}
    assert sarif["runs"][0]["tool"]["driver"]["properties"]["targetPostgresqlVersion"] == "14"

    # fail-on-findings: false keeps the step green, the exit code is still reported
    gh_out2 = tmp_path / "lint2.out"
    p2 = run_step(lint, {**base_env, "PGLINT_FAIL": "false", "PGLINT_SARIF": "", "GITHUB_OUTPUT": str(gh_out2)}, repo)
    assert p2.returncode == 0
    assert outputs(gh_out2) == {"sarif-file": "", "exit-code": "1"}

    # a usage error always fails the step
    gh_out3 = tmp_path / "lint3.out"
    p3 = run_step(lint, {**base_env, "PGLINT_ARGS": "--select no-such-rule", "GITHUB_OUTPUT": str(gh_out3)}, repo)
    assert p3.returncode == 2 and "no-such-rule" in p3.stderr


def test_readme_sections():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for heading in ("## GitHub Actions", "## GitLab CI", "## VS Code", "## pre-commit"):
        assert heading in readme, heading
    assert "github/codeql-action/upload-sarif" in readme
    assert "pglint --format sarif > pglint.sarif" in readme
    assert "codequality:" in readme and "--format gitlab" in readme
    assert "id: pglint" in readme

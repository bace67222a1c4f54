"""The README's commands and CI stay in sync."""

import re

from conftest import ROOT


def test_readme_first_screen_has_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    run_cmd, test_cmd = blocks[0].strip(), blocks[1].strip()
    assert "pglint fixtures/demo/" in run_cmd
    assert "pytest" in test_cmd
    assert readme.index(test_cmd) < 1500  # on the first screen
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines()

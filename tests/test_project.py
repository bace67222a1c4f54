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


def test_ci_installs_every_server_extension_the_suite_needs():
    """The extensions the tests create are either contrib modules (the server package, which
    .ci/run installs) or listed in conftest.EXTENSION_PACKAGES, whose tests go through
    require_extension (a skip naming the package outside CI, a failure under CI); .ci/run
    installs each of those packages when its control file is missing."""
    from conftest import CONTRIB_EXTENSIONS, EXTENSION_PACKAGES

    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    installed = set(re.findall(r'"?postgresql-\$pgver-([a-z0-9][a-z0-9.+-]*)"?', ci))
    assert installed, "no postgresql-$pgver-* package found in .ci/run"
    assert re.search(r"\bpostgresql-contrib\b", ci)  # the contrib modules, with the server
    for name, package in EXTENSION_PACKAGES.items():
        suffix = package.removeprefix("postgresql-{major}-")
        assert suffix != package, f"{package}: expected postgresql-{{major}}-<name>"
        assert suffix in installed, f".ci/run does not install {package} (for {name})"
        assert f"extension/{name}.control" in ci, f".ci/run does not check whether {name} is installed"

    created: dict[str, set[str]] = {}
    for f in sorted((ROOT / "tests").glob("*.py")):
        for m in re.finditer(r"CREATE EXTENSION (?:IF NOT EXISTS )?\"?(\w+)", f.read_text(encoding="utf-8")):
            created.setdefault(m.group(1).lower(), set()).add(f.name)
    assert "hypopg" in EXTENSION_PACKAGES and created, created
    for name, files in created.items():
        assert name in CONTRIB_EXTENSIONS or name in EXTENSION_PACKAGES, (
            f"{sorted(files)} create extension {name}: add it to conftest.EXTENSION_PACKAGES (with its package) "
            "and to .ci/run, or to CONTRIB_EXTENSIONS if the server ships it")
        if name in EXTENSION_PACKAGES:
            for fname in files:
                text = (ROOT / "tests" / fname).read_text(encoding="utf-8")
                assert "require_extension" in text and f'"{name}"' in text, (
                    f"{fname} creates {name} without require_extension (a skip outside CI, a failure under it)")

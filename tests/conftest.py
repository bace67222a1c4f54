import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PGLINT_CORPUS", ROOT.parent / "shared" / "corpus"))
IN_CI = bool(os.environ.get("CI"))

# Property tests search new random examples on every local run; under CI they replay one fixed
# sequence (the same tests, the same number of examples), so that a pass or a failure there is
# reproducible and a rare example found by chance cannot turn one CI run red and the next green.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, database=None)
    if IN_CI:
        _hypothesis_settings.load_profile("ci")
except ImportError:  # the test extras are not installed: the tests that need it say so
    pass


def lint(sql: str, path: str = "test.sql", schema=None, **options):
    """Lint a string with default settings plus ``options`` (config keys, dashes or underscores).
    ``schema``: a SchemaModel to start from (the file is then judged as part of a whole history)."""
    from pglint.config.settings import settings_from_table
    from pglint.engine.runner import lint_text

    table = {k.replace("_", "-"): v for k, v in options.items()}
    settings, _ = settings_from_table(table, "<test>", str(ROOT))
    return lint_text(sql, path, settings, schema=schema).diagnostics


def rules_of(sql: str, **options) -> list[str]:
    return sorted({d.rule for d in lint(sql, **options)})


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"the corpus is required under CI and missing at {CORPUS}")
        pytest.skip("../shared/corpus is not present")
    before = set(os.listdir(CORPUS))
    yield CORPUS
    # the corpus is read-only input: a test must not leave anything in it (a result cache)
    assert set(os.listdir(CORPUS)) == before, f"a test wrote into {CORPUS}: {set(os.listdir(CORPUS)) - before}"


def pglint_path() -> str:
    """The installed pglint next to the running interpreter (the venv's), else on PATH."""
    cand = Path(sys.executable).parent / "pglint"
    exe = str(cand) if cand.exists() else shutil.which("pglint")
    assert exe, "pglint is not installed (pip install -e .)"
    return exe


@pytest.fixture
def pglint_exe() -> str:
    return pglint_path()


# Server extensions the suite uses that PostgreSQL's own packages (server and contrib) do not
# ship, and the Debian package that installs each ({major}: the server's major version).
# .ci/run installs them (tests/test_project.py checks it); outside CI a test that needs one
# skips and names the package, under CI it fails.
EXTENSION_PACKAGES = {"hypopg": "postgresql-{major}-hypopg"}
# contrib modules the suite uses: part of the server package on Debian (postgresql-contrib
# elsewhere), which .ci/run installs with the server
CONTRIB_EXTENSIONS = frozenset({"pg_stat_statements", "dblink", "postgres_fdw", "hstore", "pgcrypto"})


def extension_available(cluster, name: str) -> bool:
    """Whether the extension ``name`` can be created on this server (its files are installed)."""
    import psycopg

    with psycopg.connect(cluster.dsn, autocommit=True) as c:
        return c.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [name]).fetchone() is not None


def require_extension(cluster, name: str) -> None:
    """Skip the test (outside CI) or fail it (under CI) unless the server has the extension
    ``name`` available; the reason names the package to install."""
    if extension_available(cluster, name):
        return
    package = EXTENSION_PACKAGES[name].format(major=cluster.version)
    reason = f"{name} is not installed: apt-get install {package}"
    if IN_CI:
        pytest.fail(f"{reason} (under CI every test must run; .ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL for the whole session (pg_stat_statements preloaded). Under CI
    a missing server is a failure, never a skip."""
    from pglint.trace.cluster import Cluster, ClusterError

    try:
        c = Cluster(settings={"shared_preload_libraries": "pg_stat_statements"}).start()
    except ClusterError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(str(exc))
    yield c
    c.stop()

"""The throwaway cluster used by trace mode and by the tests."""

import os

import psycopg
import pytest

from pglint.trace.cluster import ClusterError, find_bindir

pytestmark = pytest.mark.postgres


def test_cluster_runs_and_preloads(pg_cluster):
    with psycopg.connect(pg_cluster.dsn) as conn:
        assert conn.execute("select current_setting('shared_preload_libraries')").fetchone()[0] == "pg_stat_statements"
        assert conn.execute("select inet_server_addr()::text").fetchone()[0].startswith("127.0.0.1")


def test_missing_binaries_give_a_clear_message(tmp_path):
    with pytest.raises(ClusterError, match="no initdb/pg_ctl"):
        find_bindir(str(tmp_path))


def test_cluster_directory_is_removed():
    from pglint.trace.cluster import Cluster

    with Cluster() as c:
        tmp = c.tmp
        assert os.path.isdir(tmp)
    assert not os.path.exists(tmp)

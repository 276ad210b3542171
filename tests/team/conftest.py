"""A real PostgreSQL for the team tests: one throwaway cluster per test worker, a new database
(with its roles) per test.  Missing PostgreSQL fails under CI=true (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import require_service
from tests.pgcluster import PgCluster, Team, find_bindir


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = find_bindir()
    require_service(bindir, "PostgreSQL", "apt-get install postgresql")
    assert bindir is not None
    cluster = PgCluster(bindir)
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def team_db(pg_cluster: PgCluster) -> Team:
    return pg_cluster.new_team()


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    """A cluster of the test's own, for tests that stop and start PostgreSQL."""
    bindir = find_bindir()
    require_service(bindir, "PostgreSQL", "apt-get install postgresql")
    assert bindir is not None
    cluster = PgCluster(bindir)
    cluster.start()
    yield cluster
    cluster.destroy()

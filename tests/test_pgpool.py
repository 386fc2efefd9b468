"""host/pgpool.py: no `SELECT 1` per checkout on PostgreSQL, and a connection the server killed
while it sat in the pool is still replaced, with no failed request (issue 20, item 2)."""

from __future__ import annotations

import itertools

import pytest

from host import pgpool
from host.db import open_database
from host.testing import build_harness, test_config

_names = itertools.count(1)


@pytest.fixture
def pg_url(postgres_cluster):
    name = f"pgpool_{next(_names)}"
    postgres_cluster.execute(f"DROP DATABASE IF EXISTS {name}")
    postgres_cluster.execute(f"CREATE DATABASE {name}")
    return postgres_cluster.url(name), name


def kill_backends(cluster, name: str) -> None:
    cluster.execute(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
        "AND pid <> pg_backend_pid()"
    )


@pytest.fixture
def round_trips(monkeypatch):
    """The checkouts that asked the server whether the connection lives."""
    seen = []
    real = pgpool.PooledPostgresqlDatabase._is_closed

    def counting(self, conn):
        seen.append(conn)
        return real(self, conn)

    monkeypatch.setattr(pgpool.PooledPostgresqlDatabase, "_is_closed", counting)
    return seen


def test_a_connection_back_from_a_request_is_handed_out_without_a_round_trip(
    pg_url, round_trips, monkeypatch
):
    db = open_database(pg_url[0])
    for _ in range(5):
        with db.connection_context():
            assert db.execute_sql("SELECT 1").fetchone() == (1,)
    assert round_trips == []
    later = pgpool.time.monotonic() + pgpool.LIVENESS_IDLE_SECONDS + 1
    monkeypatch.setattr(pgpool.time, "monotonic", lambda: later)
    with db.connection_context():  # idle for a while: checked
        db.execute_sql("SELECT 1")
    assert len(round_trips) == 1
    db.close_all()


def test_connections_killed_in_the_pool_are_replaced_without_a_failed_statement(postgres_cluster, pg_url):
    url, name = pg_url
    db = open_database(url, connections=4)
    opened = [db.connect() for _ in range(1)]
    assert opened and db.execute_sql("SELECT 1").fetchone() == (1,)
    db.close()
    kill_backends(postgres_cluster, name)
    with db.connection_context():
        assert db.execute_sql("SELECT 2").fetchone() == (2,)
    db.close_all()


def test_after_a_restart_every_request_on_the_pooled_connections_works(postgres_cluster, pg_url, tmp_path):
    """Token requests (prepared statements, made anew on the new connection) on a server whose
    backends were all killed while several pooled connections sat idle."""
    url, name = pg_url
    harness = build_harness(
        test_config(url, tmp_path, ["pat_auth", "tests.sample_plugins.pat_routes"]), tmp_path
    )
    try:
        alice = harness.user("alice")
        token = harness.token(alice)
        for _ in range(3):
            assert harness.call("GET", "/api/v1/pat-test/whoami", token=token).status_code == 200
        kill_backends(postgres_cluster, name)
        statuses = [harness.call("GET", "/api/v1/pat-test/whoami", token=token).status_code for _ in range(5)]
        assert statuses == [200] * 5
    finally:
        harness.host.shutdown()

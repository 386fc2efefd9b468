"""Several hosts in one process (tests build many) each keep their own database: building a second
host does not re-point the first one's models, requests, migrations or worker threads."""

from __future__ import annotations

import time

from host import User
from host.db import bound
from plugins.releases_api.settings import load_settings
from plugins.releases_api.worker import WorkerThread
from tests.releases.support import (
    LOCAL,
    get,
    make_template,
    release_from,
    tasks_of,
    webhook,
)


def usernames(harness) -> list[str]:
    with harness.db():
        return sorted(u.username for u in User.select())


def test_two_hosts_in_one_process_do_not_mix_databases(make_host, tmp_path):
    first = make_host(plugins=["pat_auth"])
    alice = first.user("alice", ["reports#view"])
    second = make_host(plugins=["pat_auth"], database_url=f"sqlite:///{tmp_path / 'second.db'}")
    bob = second.user("bob", ["reports#view"])

    # built after the second host, through each harness's models and each app's requests
    carol = first.user("carol")
    assert usernames(first) == ["alice", "carol"]
    assert usernames(second) == ["bob"]
    token = first.token(alice)
    assert first.call("GET", "/api/v1/profile", token=token).json["username"] == "alice"
    assert second.call("GET", "/api/v1/profile", token=token).status_code == 401
    assert first.call("GET", "/api/v1/profile", as_user=carol).status_code == 200
    assert second.call("GET", "/api/v1/profile", as_user=carol).status_code == 401
    assert second.call("GET", "/api/v1/profile", as_user=bob).json["username"] == "bob"

    # a block of one harness inside the other's still uses its own database
    with second.db():
        assert usernames(first) == ["alice", "carol"]
        assert [u.username for u in User.select()] == ["bob"]


def test_a_thread_a_host_starts_keeps_using_that_hosts_database(make_host, tmp_path, recorder):  # noqa: F811
    """The releases worker thread starts in `startup`, inside its host's binding (as create_app
    calls it); a host built afterwards must not capture the thread."""
    settings = {"releases_api": {"poll_seconds": 0.1, **LOCAL}}
    first = make_host(plugins=["releases_api"], settings=settings)
    with bound(first.host.database):
        thread = WorkerThread(first.host, load_settings(first.host))
        thread.start()
    try:
        make_host(plugins=["releases_api"], database_url=f"sqlite:///{tmp_path / 'second.db'}")
        admin = first.user("root", roles=("admin",))
        template = make_template(first, admin, [webhook(recorder.url + "/status/200")])
        release = release_from(first, admin, template, start=True)
        assert recorder.arrived.wait(30), "the first host's worker thread never ran its task"
        deadline = time.monotonic() + 30
        while tasks_of(get(first, admin, release["id"]))[0]["status"] != "COMPLETED":
            assert time.monotonic() < deadline, tasks_of(get(first, admin, release["id"]))
            time.sleep(0.1)
    finally:
        thread.stop()

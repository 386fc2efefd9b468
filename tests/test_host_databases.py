"""Several hosts in one process (tests build many) each keep their own database: building a second
host does not re-point the first one's models, requests or migrations."""

from __future__ import annotations

from host import User


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

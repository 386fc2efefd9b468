"""Hook implementations that name only the arguments they use are called like any other."""

import argparse

import falcon.testing
import pytest

from host import actor_for, find_user, hookspecs
from host.testing import basic_auth
from tests.sample_plugins import hooks_reduced

HOOKS = sorted(
    name for name in dir(hookspecs) if getattr(getattr(hookspecs, name), "release_host_spec", None)
)


@pytest.fixture
def exercised(make_host):
    """A host with the reduced plugin, after every hook had a reason to be called."""
    hooks_reduced.CALLED.clear()
    harness = make_host(plugins=["tests.sample_plugins.hooks_reduced"])
    host = harness.host
    root = harness.user("root", roles=("admin",))
    assert harness.call("GET", "/api/v1/reduced", as_user=root).json == {"user": "root"}
    assert harness.call("GET", "/api/v1/reduced", headers=basic_auth("nobody", "x")).status_code == 401
    assert host.settings("tests.sample_plugins.hooks_reduced").greeting == "hello"
    assert host.redact("a reduced-secret-42 here") == "a ******** here"
    assert host.credential_status("reduced-secret-1")["id"] == "reduced-1"
    assert host.credential_info("reduced-1") == {"id": "reduced-1", "issuer": "reduced"}
    with harness.db():
        actor = actor_for(find_user(root.username), via="password")
        links = host.navigation(actor)
        assert [link.label for link in links].count("Reduced") == 1, "besides the host's own links"
        assert host.emit("reduced.ping", {}) == [{"seen": "reduced.ping"}]
        assert "reduced_notes" in host.database.get_tables()
    assert harness.call("GET", "/login").status_code == 200
    request = falcon.testing.create_req(path="/logout", method="POST")
    assert host.pm.hook.logout_redirect(host=host, req=request, actor=actor) is None
    parser = argparse.ArgumentParser()
    host.pm.hook.register_commands(host=host, subparsers=parser.add_subparsers())
    host.shutdown()
    return hooks_reduced.CALLED


def test_every_hook_is_exercised_here():
    assert sorted(name for name in dir(hooks_reduced) if name in HOOKS) == HOOKS, (
        "hooks_reduced must implement every hook with a reduced signature"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_with_a_reduced_signature_is_called(exercised, hook):
    assert hook in exercised

"""Pages need the `login` permission whatever the credential: a user the login form refuses must
not render pages with Basic or a personal access token either."""

from __future__ import annotations

import pytest

PLUGINS = ["pat_auth", "releases_api"]


@pytest.mark.parametrize("path", ["/", "/profile/access-tokens"])
def test_pages_refuse_users_without_login_by_password_and_by_token(make_host, path):
    harness = make_host(plugins=PLUGINS)
    robot = harness.user("robot", ["release#view"])
    token = harness.token(robot, "ci", permissions=["release#view"])
    for how in ({"as_user": robot}, {"token": token}, {"token": token, "token_style": "basic"}):
        refused = harness.call("GET", path, **how)
        assert refused.status_code == 403, how
        assert "Permission login is not granted to you." in refused.text
    assert harness.call("GET", "/api/v1/releases", token=token).status_code == 200

    person = harness.user("person", ["login", "release#view"])
    assert harness.call("GET", path, as_user=person).status_code == 200

"""pat_auth's part of the test harness (a pytest plugin, entry point `pytest11`): `harness.token(…)`
makes a token through this plugin's JSON API, as a script would. Outside pytest (the benchmark),
call `make_token` directly."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.pat_auth.resources import TOKENS


def make_token(
    harness: Any,
    user: Any,
    name: str = "test token",
    permissions: list[str] | None = None,
    expiration: str = "30d",
) -> str:
    """A token for `user` made with a POST to the token API of `harness`'s app."""
    body: dict[str, Any] = {"tokenNote": name, "expiration": expiration}
    if permissions is not None:
        body["globalPermissions"] = permissions
    result = harness.client.simulate_post(TOKENS, json=body, headers=user.basic)
    assert result.status_code == 201, result.text
    return result.json["token"]


@pytest.hookimpl
def pytest_release_host_token(
    harness: Any, user: Any, name: str, permissions: list[str] | None, expiration: str
) -> str | None:
    if TOKENS not in harness.host.routes:
        return None  # pat_auth is not enabled in this harness
    return make_token(harness, user, name, permissions, expiration)

"""Fixtures of the releases tests: a host with releases_api (tasks may call loopback), its admin;
the recording server `recorder` is in tests/conftest.py (host tests use it too)."""

from __future__ import annotations

import pytest

from tests.releases.support import LOCAL, PLUGINS


@pytest.fixture
def harness(make_host):
    return make_host(plugins=PLUGINS, settings={"releases_api": LOCAL})


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))

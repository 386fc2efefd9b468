"""Fixtures of the webhooks tests: a host with pat_auth and webhooks, its admin."""

from __future__ import annotations

import pytest


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", "webhooks"])


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))

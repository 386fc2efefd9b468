"""A real gunicorn server with every shipped plugin, an admin, a PAT and some data, for the
contract tests: schemathesis, the generated client, the document's coverage of the routes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from host.config import SecuritySettings
from host.testing import Harness, TestUser, token_headers

PLUGINS = ["pat_auth", "releases_api", "webhooks"]
SETTINGS = {"releases_api": {"allowed_task_hosts": ["127.0.0.1"]}}
UNLIMITED = SecuritySettings(failures_per_account=1_000_000, failures_per_address=1_000_000)
"""The fuzzer sends wrong credentials on purpose (`ignored_auth`); with the real limits its own
address would be blocked (429) within minutes and every later request would test nothing."""


@dataclass
class Served:
    """A running server and what was made on it before the run."""

    base: str
    harness: Harness
    admin: TestUser
    pat: str
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def basic(self) -> tuple[str, str]:
        return (self.admin.username, self.admin.password or "")

    @property
    def pat_headers(self) -> dict[str, str]:
        return token_headers(self.pat)

    def known(self) -> dict[str, list[str]]:
        """Ids of the objects made before the run, by the name of the path parameter that takes
        them (`/releases/{folder}/{release}` splits `Applications/Release…`)."""
        task = self.made["active"]["phases"][0]["tasks"][0]["id"].split("/")
        return {
            "folder": [task[0]],
            "release": [self.made[name]["id"].split("/")[1] for name in ("planned", "active")],
            "template": [self.made["template"]["id"].split("/")[1]],
            "phase": [task[2]],
            "task": [task[3]],
            "trigger_id": [self.made["trigger"]["id"]],
            "endpoint_id": [self.made["endpoint"]["id"]],
            "path": [self.made["endpoint"]["path"]],
            "token_id": [str(token["id"]) for token in self.made["tokens"]],
        }

    def document(self) -> dict[str, Any]:
        answer = requests.get(f"{self.base}/api/v1/openapi.json", timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()


def seed(base: str, auth: tuple[str, str]) -> dict[str, Any]:
    """Templates, a planned and an active release, a webhook endpoint and a trigger, made through
    the API as a client would, so that the fuzzer's GETs and actions meet real objects."""

    def post(path: str, body: dict[str, Any], status: tuple[int, ...] = (200, 201)) -> dict[str, Any]:
        answer = requests.post(f"{base}{path}", auth=auth, json=body, timeout=10)
        assert answer.status_code in status, f"POST {path}: {answer.status_code} {answer.text}"
        return answer.json()

    phases = [{"title": "Build", "tasks": [{"type": "xlrelease.Task", "title": "Sign off"}]}]
    template = post("/api/v1/templates", {"title": "Deploy", "phases": phases})
    planned = post(f"/api/v1/templates/{template['id']}/create", {"releaseTitle": "Planned"})
    active = post(f"/api/v1/templates/{template['id']}/start", {"releaseTitle": "Active"})
    endpoint = post(
        "/api/v1/config/webhook-endpoints",
        {"title": "Git pushes", "path": "git-pushes", "method": "POST", "authentication": "none"},
    )
    trigger = post(
        "/api/v1/triggers",
        {
            "title": "Deploy on push",
            "endpointPath": "git-pushes",
            "templateId": template["id"],
            "releaseTitle": "Deploy ${payload.ref}",
        },
    )
    tokens = requests.get(f"{base}/api/v1/personal-access-tokens", auth=auth, timeout=10).json()
    return {
        **{"template": template, "planned": planned, "active": active},
        **{"endpoint": endpoint, "trigger": trigger, "tokens": tokens},
    }


@pytest.fixture
def served(module_host, module_server) -> Iterator[Any]:
    """Factory: `served()` → a fresh `Served` (its own database and server, so one run's deletes
    never reach another's fixtures)."""

    def factory() -> Served:
        harness = module_host(plugins=PLUGINS, settings=SETTINGS)
        harness.config.security = UNLIMITED
        admin = harness.user("admin", roles=("admin",))
        pat = harness.token(admin, name="fuzz")
        base = module_server(harness)
        return Served(base, harness, admin, pat, seed(base, (admin.username, admin.password or "")))

    yield factory

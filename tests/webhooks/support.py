"""What the webhooks tests share: making an endpoint through the API, reading what it kept, and
every stored row as text (what a database dump would show)."""

from __future__ import annotations

import json

API = "/api/v1/config/webhook-endpoints"
PAT_ROUTE = "/api/v1/personal-access-tokens"


def create(harness, admin, **fields):
    body = {"title": "Git pushes", "path": "git-pushes", "authentication": "none", **fields}
    result = harness.call("POST", API, as_user=admin, json=body)
    assert result.status_code == 201, result.text
    return result.json


def stored(harness, admin, endpoint_id):
    result = harness.call("GET", f"{API}/{endpoint_id}/requests", as_user=admin)
    assert result.status_code == 200, result.text
    return result.json


def everything_stored(harness) -> str:
    """Every row of every table, as text: what an attacker with a database dump would see."""
    with harness.db():
        return "\n".join(
            json.dumps(row, default=str) for model in harness.host.models for row in model.select().dicts()
        )

"""Schemathesis hooks of the contract run (loaded through `SCHEMATHESIS_HOOKS` by `fuzz.py`).

A new webhook endpoint with token authentication needs a live personal access token as its
Secret Token (`plugins/webhooks/endpoints.live_token_id`): which strings are live tokens is the
server's state, so no schema can say it and a generated string is refused with a 400. A client
has such a token; so has the run, and it goes into every generated Secret Token of a
token-authenticated endpoint before the request is sent. Schemathesis revalidates a case a hook
edits, so a case stays positive or negative by what is actually sent.

The run's own DELETEs may revoke that token (the admin may revoke any token): before each use it
is checked, and with `FUZZ_TOKEN_MAKER` (Basic credentials) a new one is made when it is gone.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import requests
import schemathesis

SECRET_TOKEN_ENV = "FUZZ_SECRET_TOKEN"
MAKER_ENV = "FUZZ_TOKEN_MAKER"
BASE_ENV = "FUZZ_BASE"
TOKEN_AUTHENTICATED = (None, "token")
ENDPOINTS = "/api/v1/config/webhook-endpoints"
_live: dict[str, str] = {}


def _works(base: str, token: str) -> bool:
    answer = requests.get(f"{base}/api/v1/profile", headers={"x-release-personal-token": token}, timeout=10)
    return answer.status_code == 200


def live_token() -> str:
    """The run's token if it still works, else a new one made with `FUZZ_TOKEN_MAKER`."""
    base, token = os.environ.get(BASE_ENV, ""), _live.get("token") or os.environ.get(SECRET_TOKEN_ENV, "")
    maker = os.environ.get(MAKER_ENV, "")
    if token and base and maker and not _works(base, token):
        username, _, password = maker.partition(":")
        made = requests.post(
            f"{base}/api/v1/personal-access-tokens",
            auth=(username, password),
            json={"tokenNote": f"endpoint secret {secrets.token_hex(4)}", "expiration": "7d"},
            timeout=10,
        )
        token = made.json()["token"] if made.status_code == 201 else token
    _live["token"] = token
    return token


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """A live token as the Secret Token of a token-authenticated endpoint body."""
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("secretToken"), str):
        return
    if case.operation.path.startswith(ENDPOINTS) and body.get("authentication") in TOKEN_AUTHENTICATED:
        token = live_token()
        if token:
            body["secretToken"] = token

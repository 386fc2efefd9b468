"""Under real gunicorn: `Transfer-Encoding: chunked` JSON bodies are read like bodies with a
Content-Length, on the tokens API, the releases API and the webhooks receiver, under the same
size limits (the in-process test client cannot send chunked bodies)."""

import json
import re
import socket
from urllib.parse import urlencode

import pytest
import requests

ENDPOINTS = "/api/v1/config/webhook-endpoints"
LIMIT = 4096


pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database question here


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", "releases_api", "webhooks"], max_body_bytes=LIMIT)


def chunked(base: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """POST `body` in 100-byte chunks over a raw socket; the status and the JSON answer."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Transfer-Encoding: chunked", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in {"Content-Type": "application/json", **(headers or {})}.items()]
    framed = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 100]), body[i : i + 100]) for i in range(0, len(body), 100)
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall("\r\n".join(lines).encode() + b"\r\n\r\n" + framed + b"0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    return status, json.loads(payload) if payload.strip().startswith(b"{") else {}


def test_chunked_json_is_read_by_tokens_templates_and_webhooks(harness, serve):
    admin = harness.user("root", roles=("admin",))
    base = serve(harness, workers=1)
    status, made = chunked(base, "/api/v1/personal-access-tokens", b'{"tokenNote": "chunked"}', admin.basic)
    assert status == 201, made
    assert made["tokenNote"] == "chunked"
    template = {
        "title": "Chunked",
        "phases": [{"title": "Build", "tasks": [{"type": "xlrelease.Task", "title": "T"}]}],
    }
    status, answer = chunked(base, "/api/v1/templates", json.dumps(template).encode(), admin.basic)
    assert status == 200, answer
    assert answer["title"] == "Chunked"
    endpoint = {"title": "Pushes", "path": "pushes", "authentication": "none"}
    status, created = chunked(base, ENDPOINTS, json.dumps(endpoint).encode(), admin.basic)
    assert status == 201, created
    status, _ = chunked(base, "/webhooks/pushes", b'{"ref": "refs/heads/main"}')
    assert status == 200
    stored = harness.call("GET", f"{ENDPOINTS}/{created['id']}/requests", as_user=admin).json
    assert json.loads(stored[0]["body"]) == {"ref": "refs/heads/main"}


def test_a_chunked_login_form_logs_in(harness, serve):
    """Form bodies go through Falcon's own media handling, which only knows Content-Length."""
    root = harness.user("root", roles=("admin",))
    base = serve(harness, workers=1)
    page = requests.get(f"{base}/login", timeout=30)
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
    cookie = "; ".join(f"{k}={v}" for k, v in page.cookies.items())
    form = urlencode({"username": "root", "password": root.password, "login_csrf": token}).encode()
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, _ = chunked(base, "/login", form, headers)
    assert status == 303


def test_a_chunked_body_over_the_limit_is_413(harness, serve):
    admin = harness.user("root", roles=("admin",))
    created = harness.call(
        "POST", ENDPOINTS, as_user=admin, json={"title": "Pushes", "path": "pushes", "authentication": "none"}
    )
    assert created.status_code == 201, created.text
    base = serve(harness, workers=1)
    big = json.dumps({"tokenNote": "x" * (LIMIT + 100)}).encode()
    status, answer = chunked(base, "/api/v1/personal-access-tokens", big, admin.basic)
    assert status == 413, answer
    assert str(LIMIT) in answer["message"]
    status, answer = chunked(base, "/webhooks/pushes", big)
    assert status == 413, answer

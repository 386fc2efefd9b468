"""Under real gunicorn: a newline (or another control character) in a URL path, a query string or
a Basic username never starts a line of its own in the server's log."""

import base64
import logging
import socket
from urllib.parse import quote

import pytest

from host import logsafe

FORGED = "personal access token refused: id=1 hint=rpa_…abcd user=admin"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", "tests.sample_plugins.log_usernames"])


def raw_get(base: str, target: str, headers: dict[str, str] | None = None) -> int:
    host, port = base.removeprefix("http://").split(":")
    lines = [f"GET {target} HTTP/1.1", "Host: x", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall("\r\n".join(lines).encode() + b"\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split()[1])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database question here
def test_no_request_can_add_a_line_to_the_log(harness, serve):
    base = serve(harness, workers=1)
    forged = quote(FORGED)
    assert raw_get(base, f"/nope%0A{forged}") == 404
    assert raw_get(base, f"/nope%0D%0A{forged}%E2%80%A8{forged}") == 404
    assert raw_get(base, f"/api/v1/health?x=%0A{forged}") == 200
    username = base64.b64encode(f"mallory\n{FORGED}:pw".encode()).decode()
    login = f"/api/v1/log-test/login%0A{forged}"
    assert raw_get(base, login, {"Authorization": f"Basic {username}"}) == 404
    assert raw_get(base, "/api/v1/log-test/login", {"Authorization": f"Basic {username}"}) == 200
    (log,) = harness.tmp_path.glob("gunicorn-*.log")
    text = log.read_text(encoding="utf-8")
    assert "login refused for user mallory\\npersonal access token refused" in text
    assert '"GET /nope\\npersonal access token refused: id=1' in text  # the access log, escaped
    for line in text.splitlines():
        assert not line.startswith("personal access token"), line
    assert "\u2028" not in text and "\r" not in text


def test_escape_makes_one_line_of_any_text(caplog):
    logsafe.install()
    assert logsafe.escape("a\nb\rc\td\x00e\x1bf\x85g\u2028h\u2029i") == (
        "a\\nb\\rc\\td\\x00e\\x1bf\\x85g\\u2028h\\u2029i"
    )
    with caplog.at_level(logging.INFO, logger="release_host.test"):
        logging.getLogger("release_host.test").info("user %s", "eve\nroot logged in")
    assert caplog.records[-1].getMessage() == "user eve\\nroot logged in"

"""Under real gunicorn with the shipped conf/gunicorn.conf.py: clients that open a connection and
never finish their request headers do not stop the server from answering everyone else."""

import socket
import time

import pytest
import requests

STUCK_CONNECTIONS = 50
PARTIAL_HEADERS = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth"])


def _stuck_clients(base: str, count: int) -> list[socket.socket]:
    host, port = base.removeprefix("http://").split(":")
    opened = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(PARTIAL_HEADERS)
        opened.append(sock)
    return opened


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fifty_connections_stuck_mid_headers_do_not_stop_a_normal_request(harness, serve):
    base = serve(harness)
    assert requests.get(f"{base}/api/v1/health", timeout=10).status_code == 200
    stuck = _stuck_clients(base, STUCK_CONNECTIONS)
    try:
        time.sleep(0.5)  # let the workers pick the stuck connections up first
        for _ in range(10):
            started = time.monotonic()
            answer = requests.get(f"{base}/api/v1/health", timeout=5)
            assert answer.status_code == 200
            assert time.monotonic() - started < 1.0, "a normal request waited behind the stuck ones"
    finally:
        for sock in stuck:
            sock.close()

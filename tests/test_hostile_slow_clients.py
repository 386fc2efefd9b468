"""Under real gunicorn with the shipped conf/gunicorn.conf.py: clients that open a connection and
never finish their request headers or body do not stop the server from answering everyone else,
and cost it no CPU while they wait."""

import base64
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from host.testing import PROJECT_ROOT, free_port, start_gunicorn, stop_process

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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_defence_does_not_depend_on_the_number_of_threads(harness, serve):
    """One request thread per worker, 50 stuck connections: the thread is never theirs."""
    base = serve(harness, env={"RELEASE_HOST_THREADS": "1"})
    stuck = _stuck_clients(base, STUCK_CONNECTIONS)
    try:
        time.sleep(0.5)
        started = time.monotonic()
        assert requests.get(f"{base}/api/v1/health", timeout=5).status_code == 200
        assert time.monotonic() - started < 1.0
    finally:
        for sock in stuck:
            sock.close()


def test_concurrent_requests_on_threads_each_get_a_working_connection(harness, serve):
    """Reads and writes from many threads of one worker at once: every one succeeds, every write
    is kept (the pool has a connection per thread; SQLite writers wait for the lock)."""
    alice = harness.user("alice")
    base = serve(harness, workers=1, env={"RELEASE_HOST_THREADS": "8"})
    auth = (alice.username, alice.password)
    token = requests.post(
        f"{base}/api/v1/personal-access-tokens", json={"tokenNote": "t"}, auth=auth, timeout=30
    )
    headers = {"x-release-personal-token": token.json()["token"]}

    def call(n: int) -> int:
        if n % 2:
            return requests.get(f"{base}/api/v1/profile", headers=headers, timeout=30).status_code
        body = {"tokenNote": f"made in parallel {n}"}
        return requests.post(
            f"{base}/api/v1/personal-access-tokens", json=body, auth=auth, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(call, range(48)))
    assert statuses == [201 if n % 2 == 0 else 200 for n in range(48)]
    listed = requests.get(f"{base}/api/v1/personal-access-tokens", auth=auth, timeout=30).json()
    assert len(listed) == 25


def _response(sock: socket.socket) -> bytes:
    """One whole HTTP response with a Content-Length, however the network splits it."""
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_headers_or_a_body_that_stop_arriving_are_cut_off(harness, serve):
    """A client trickling header lines is disconnected after `header_timeout`; a body that stops
    arriving is answered 408 after `body_timeout` (both 2 s in this worker, 10 s and 30 s by default)."""
    harness.user("alice", password="alice-password")
    base = serve(
        harness, workers=1, env={"RELEASE_HOST_WORKER_CLASS": "tests.sample_plugins.quick_worker.QuickWorker"}
    )
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
        started = time.monotonic()
        with pytest.raises(OSError):  # the server closes; a write or the read then fails
            for _ in range(20):
                sock.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.5)
                sock.setblocking(False)
                try:
                    if sock.recv(1) == b"":
                        raise ConnectionResetError("closed by the server")
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
        assert time.monotonic() - started < 8
    credentials = base64.b64encode(b"alice:alice-password")
    for framing in (b"Content-Length: 100\r\n\r\n{", b"Transfer-Encoding: chunked\r\n\r\n10\r\n{"):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /api/v1/personal-access-tokens HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nAuthorization: Basic " + credentials + b"\r\n" + framing
            )
            answer = _response(sock)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"The request body stopped arriving." in answer


def _gunicorn_settings(conf_text: str, tmp_path, env: dict[str, str]) -> dict[str, str]:
    conf = tmp_path / "host.toml"
    conf.write_text(conf_text, encoding="utf-8")
    printed = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(PROJECT_ROOT / "conf" / "gunicorn.conf.py"),
            "--print-config",
        ]
        + ["host.wsgi:app"],
        env={**os.environ, "RELEASE_HOST_CONF": str(conf), **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    pairs = (line.split(" = ", 1) for line in printed.stdout.splitlines() if " = " in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_threads_and_workers_come_from_the_configuration_then_the_environment(tmp_path):
    toml = '[server]\nworkers = 3\nthreads = 5\nsecret_key = "k"\n'
    settings = _gunicorn_settings(toml, tmp_path, {})
    assert settings["worker_class"] == "host.gunicorn_worker.HeaderBufferingWorker"
    assert (settings["workers"], settings["threads"]) == ("3", "5")
    overridden = _gunicorn_settings(
        toml, tmp_path, {"RELEASE_HOST_THREADS": "12", "RELEASE_HOST_WORKERS": "1"}
    )
    assert (overridden["workers"], overridden["threads"]) == ("1", "12")
    old_model = _gunicorn_settings(toml, tmp_path, {"RELEASE_HOST_WORKER_CLASS": "sync"})
    assert (old_model["worker_class"], old_model["threads"]) == ("sync", "1")


SLOW_BODIES = [
    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 1000\r\n\r\nus",
    b"POST /api/v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{",
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fifty_bodies_that_stop_arriving_do_not_stop_a_normal_request(harness, serve):
    """Whole headers, then a body that stops (with a length or chunked): no thread waits for it."""
    base = serve(harness, env={"RELEASE_HOST_THREADS": "2"})
    host, port = base.removeprefix("http://").split(":")
    stuck = []
    for i in range(STUCK_CONNECTIONS):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(SLOW_BODIES[i % 2])
        stuck.append(sock)
    try:
        time.sleep(0.5)
        for _ in range(10):
            started = time.monotonic()
            assert requests.get(f"{base}/api/v1/health", timeout=5).status_code == 200
            assert time.monotonic() - started < 1.0, "a normal request waited behind the slow bodies"
    finally:
        for sock in stuck:
            sock.close()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_connection_waiting_for_its_headers_costs_no_cpu(harness, tmp_path):
    """The probe saw one such connection keep a worker at 100 % CPU (a peek that left the bytes
    readable, so the poller woke at once, again and again)."""
    port = free_port()
    proc = start_gunicorn(harness.write_conf(), port, tmp_path / "gunicorn.log", workers=1)
    try:
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/api/v1/health", timeout=10).status_code == 200
        workers = _children(proc.pid)
        before = _cpu_seconds(workers)
        stuck = _stuck_clients(base, 2)
        time.sleep(3)
        used = _cpu_seconds(workers) - before
        for sock in stuck:
            sock.close()
        assert used < 0.5, f"the worker spent {used:.2f} s of CPU in 3 s on two waiting connections"
    finally:
        stop_process(proc)

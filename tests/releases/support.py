"""What the releases tests share: a recording HTTP server, templates and releases made through
the API, running queued tasks in-process."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from plugins.releases_api.settings import load_settings
from plugins.releases_api.worker import Worker

PLUGINS = ["releases_api"]
LOCAL = {"allowed_task_hosts": ["127.0.0.1"]}
"""Automated tasks may not call loopback by default; these tests' HTTP server is on 127.0.0.1."""


class Recorder:
    """A loopback HTTP server for automated tasks to call: records every request; `/status/N`
    answers N with a JSON message, `/slow` waits until `release` is set (or 30 s)."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.arrived = threading.Event()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                with recorder.lock:
                    recorder.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                        }
                    )
                recorder.arrived.set()
                status, payload = 200, {"ok": True}
                if self.path.startswith("/status/"):
                    status = int(self.path.split("/")[2])
                    payload = {"error": "Nope", "message": f"answered {status} on purpose"}
                elif self.path.startswith("/slow"):
                    recorder.release.wait(30)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{address}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        with self.lock:
            return [r["path"] for r in self.requests]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def run_tasks(harness) -> int:
    """Run every queued automated task in this process, the way `release-host worker` does."""
    return Worker(harness.host, load_settings(harness.host), name="test").run_until_idle()


def manual(title: str = "Check") -> dict[str, Any]:
    return {"type": "xlrelease.Task", "title": title}


def webhook(url: str, **fields: Any) -> dict[str, Any]:
    return {"type": "xlrelease.WebhookTask", "title": "Call", "url": url, **fields}


def make_template(harness, user, *phases: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    body = {
        "title": fields.pop("title", "Deploy"),
        "phases": [{"title": f"Phase {i}", "tasks": tasks} for i, tasks in enumerate(phases)],
        **fields,
    }
    result = harness.call("POST", "/api/v1/templates", as_user=user, json=body)
    assert result.status_code == 200, result.text
    return result.json


def release_from(harness, user, template: dict[str, Any], title: str = "R", start: bool = False, **body):
    action = "start" if start else "create"
    result = harness.call(
        "POST",
        f"/api/v1/templates/{template['id']}/{action}",
        as_user=user,
        json={"releaseTitle": title, **body},
    )
    assert result.status_code == 200, result.text
    return result.json


def get(harness, user, release_id: str) -> dict[str, Any]:
    result = harness.call("GET", f"/api/v1/releases/{release_id}", as_user=user)
    assert result.status_code == 200, result.text
    return result.json


def tasks_of(release: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in release["phases"] for t in p["tasks"]]

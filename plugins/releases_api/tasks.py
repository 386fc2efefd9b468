"""Running automated tasks: HTTP calls made as the release's run-as user, with timeouts.

Credentials follow the product's SDK: a password without a username is a personal access token,
sent as `x-release-personal-token`; a username with a password is HTTP Basic. They are sent only to
this server's own origin (`server_url`): whoever edits a template must not be able to point the
run-as user's token at a server of their choosing. A CreateReleaseTask calls this server's public
API, so the token's permissions apply exactly as for any client. Every request obeys the outgoing
policy (`outgoing`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from host import TOKEN_HEADER, Host
from plugins.releases_api import guard, outgoing
from plugins.releases_api import variables as variables_
from plugins.releases_api.chains import PARENT_HEADER
from plugins.releases_api.ids import RELEASE_ID
from plugins.releases_api.models import Release, Task
from plugins.releases_api.settings import Settings
from plugins.releases_api.vocabulary import CREATE_RELEASE_TASK, WEBHOOK_TASK

log = logging.getLogger("release_host.releases_api")
MAX_BODY_KEPT = 10_000
MAX_CONNECT_SECONDS = 10.0


@dataclass
class Outcome:
    """What running a task gave: success with output, or the reason it failed."""

    ok: bool
    reason: str | None = None
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskRun:
    """A task ready to run: its fields with variables substituted and the run-as credentials."""

    task_id: str
    release_id: str
    type: str
    config: dict[str, Any]
    username: str | None
    password: str | None
    password_unreadable: bool
    server_url: str
    default_timeout: float
    policy: outgoing.Policy
    secret_origin: list[Any] | None = None
    holds_secrets: bool = False
    idempotency_key: str = ""  # the same for every attempt of one queued run (see `idempotency_key`)


IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_key(job_id: int, task_id: str) -> str:
    """What an outgoing webhook task sends as `Idempotency-Key`: stable across the attempts of
    one queued run (a worker killed mid-call and the job claimed again sends the same key), new
    for another run of the task, so a receiver can drop the repeat of an at-least-once delivery."""
    return hashlib.sha256(f"release-host-job:{job_id}:{task_id}".encode()).hexdigest()[:32]


def prepare(host: Host, settings: Settings, release: Release, task: Task) -> TaskRun:
    mapping: dict[str, Any] = {v["key"]: v.get("value") for v in release.variables or []}
    mapping.update(
        {
            "release.id": release.id,
            "release.title": release.title,
            "release.owner": release.owner,
            "server.url": settings.server_url,
        }
    )
    password = host.secrets.decrypt(release.script_password) if release.script_password else None
    config = dict(task.config or {})
    holds_secrets = guard.SECRET_ORIGIN in config
    secret_origin = config.pop(guard.SECRET_ORIGIN, None)
    return TaskRun(
        task_id=task.id,
        release_id=release.id,
        type=task.type,
        config=variables_.substitute(config, mapping),
        username=release.script_username or None,
        password=password,
        password_unreadable=bool(release.script_password) and password is None,
        server_url=settings.server_url,
        default_timeout=settings.http_timeout_seconds,
        policy=settings.outgoing_policy(),
        secret_origin=secret_origin,
        holds_secrets=holds_secrets,
    )


def credentials(username: str | None, password: str | None) -> dict[str, str]:
    if not password:
        return {}
    if not username:
        return {TOKEN_HEADER: password}
    raw = f"{username}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


UNREADABLE = (
    "The run-as password cannot be decrypted (the server's secret key changed); set scriptUserPassword again."
)


ELSEWHERE = (
    "authenticate is true but {url} is not this server ({server}): the run-as credentials are only "
    "sent to this server's own address. Remove authenticate, or put the credentials the other "
    "server needs in the task's headers."
)


DROPPED = (
    "Not sent: {names}. The stored value was entered for another address than {url}, where the "
    "release's variables point this task."
)


def describe(response: requests.Response) -> str:
    """`401 Unauthorized: <the server's message>`, the way a failure reads on the task."""
    message = ""
    try:
        data = response.json()
        if isinstance(data, dict):
            message = str(data.get("message") or data.get("error") or "")
    except ValueError:
        message = response.text.strip()[:200]
    head = f"{response.status_code} {response.reason or ''}".strip()
    return f"{head}: {message}" if message else head


def _http(
    policy: outgoing.Policy,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    timeout: float,
) -> requests.Response | Outcome:
    """One request under the outgoing policy; failures become reasons without URL userinfo."""
    shown = outgoing.without_userinfo(url)
    try:
        policy.check(url)
        with outgoing.session(policy) as client:
            return client.request(
                method,
                url,
                headers=headers,
                data=body,
                timeout=(min(timeout, MAX_CONNECT_SECONDS), timeout),
                allow_redirects=False,
            )
    except outgoing.Refused as exc:
        return Outcome(False, exc.reason)
    except requests.Timeout:
        return Outcome(False, f"Timed out after {timeout:g} s: {method} {shown}")
    except requests.ConnectionError:
        return Outcome(False, f"Could not connect: {method} {shown}")
    except requests.RequestException as exc:
        return Outcome(False, f"{method} {shown} failed: {type(exc).__name__}")
    except (OSError, UnicodeError):
        return Outcome(False, f"Could not connect: {method} {shown} (the host name does not resolve)")


def run_webhook(run: TaskRun) -> Outcome:
    config = run.config
    url, method = config["url"], config["method"]
    target = outgoing.origin(url)
    if target is None:
        shown = outgoing.without_userinfo(url)
        return Outcome(
            False, f"url {shown!r} is not an http:// or https:// URL once variables are substituted."
        )
    headers = dict(config.get("headers") or {})
    dropped: list[str] = []
    if run.holds_secrets and not guard.origin_matches(run.secret_origin, target):
        dropped = guard.secret_headers(headers)
        for name in dropped:
            del headers[name]
        if outgoing.masked_url(url) != url:
            url = outgoing.without_secrets(url)
            dropped.append("the URL's credentials")
    to_server = run.policy.is_server(target)
    if config.get("authenticate") and not to_server:
        shown = outgoing.without_userinfo(url)
        return Outcome(False, ELSEWHERE.format(url=shown, server=outgoing.without_userinfo(run.server_url)))
    if to_server and config.get("authenticate") is not False:
        if run.password_unreadable:
            return Outcome(False, UNREADABLE)
        headers.update(credentials(run.username, run.password))
    if to_server:
        headers = {k: v for k, v in headers.items() if k.lower() != PARENT_HEADER.lower()}
        headers[PARENT_HEADER] = run.release_id
    if run.idempotency_key and not any(k.lower() == IDEMPOTENCY_HEADER.lower() for k in headers):
        headers[IDEMPOTENCY_HEADER] = run.idempotency_key  # a key the task sets itself wins
    body = config.get("body") or ""
    if body and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    timeout = float(config.get("timeoutSeconds") or run.default_timeout)
    response = _http(run.policy, method, url, headers, body.encode("utf-8") if body else None, timeout)
    if isinstance(response, Outcome):
        return response
    output: dict[str, Any] = {
        "statusCode": response.status_code,
        "responseBody": response.text[:MAX_BODY_KEPT],
    }
    if dropped:
        output["secretsNotSent"] = DROPPED.format(
            names=", ".join(dropped), url=outgoing.without_userinfo(url)
        )
    if response.status_code not in config.get("expectedStatusCodes", []):
        return Outcome(False, describe(response), output)
    return Outcome(True, output=output)


def run_create_release(run: TaskRun) -> Outcome:
    config = run.config
    template_id = config["templateId"]
    if not RELEASE_ID.fullmatch(template_id):
        return Outcome(False, f"templateId {template_id!r} is not a template id (Applications/Release…).")
    if run.password_unreadable:
        return Outcome(False, UNREADABLE)
    action = "start" if config.get("startRelease") else "create"
    url = f"{run.server_url}/api/v1/templates/{template_id}/{action}"
    body = {"releaseTitle": config["newReleaseTitle"], "variables": config.get("templateVariables") or {}}
    headers = {
        "Content-Type": "application/json",
        PARENT_HEADER: run.release_id,
        **credentials(run.username, run.password),
    }
    response = _http(run.policy, "POST", url, headers, json.dumps(body).encode("utf-8"), run.default_timeout)
    if isinstance(response, Outcome):
        return response
    if response.status_code != 200:
        return Outcome(False, describe(response))
    try:
        created = response.json()["id"]
    except (ValueError, KeyError, TypeError):
        return Outcome(False, f"POST {outgoing.without_userinfo(url)} answered 200 without a release id.")
    return Outcome(True, output={"createdReleaseId": created})


RUNNERS: dict[str, Callable[[TaskRun], Outcome]] = {
    WEBHOOK_TASK: run_webhook,
    CREATE_RELEASE_TASK: run_create_release,
}


def run(task: TaskRun) -> Outcome:
    """Run one task; never raises: an unexpected error becomes the task's failure reason."""
    runner = RUNNERS.get(task.type)
    if runner is None:
        return Outcome(False, f"Task type {task.type} cannot be run automatically.")
    try:
        return runner(task)
    except Exception as exc:
        log.exception("task %s failed unexpectedly", task.task_id)
        return Outcome(False, f"The task failed unexpectedly ({type(exc).__name__}); see the server log.")

"""Whose secrets a task may use: stored header secrets bound to the origin they were entered for,
and stored run-as credentials refused when someone else chooses what the tasks do.

A template's author enters a secret header for a URL as it reads with the template's variables,
and a run-as password for the tasks as they are. Whoever starts a release chooses variable
values and the release's title; if those flowed into tasks that use the author's secrets, the
starter could send them anywhere or have them act on anything (see docs/api.md, "Whose
credentials run a task").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from host import secret_name
from plugins.releases_api import outgoing
from plugins.releases_api import variables as variables_
from plugins.releases_api.errors import Invalid
from plugins.releases_api.models import Task
from plugins.releases_api.specs import PhaseSpec
from plugins.releases_api.vocabulary import AUTOMATED_TYPES, MASK, PASSWORD_VARIABLE, WEBHOOK_TASK

AGAIN = "a masked value is kept only for the same task calling the same origin once variables are filled in"
SECRET_ORIGIN = "secretOrigin"
"""The task config key holding [scheme, host, port] of the URL its secrets were entered for."""


def secret_headers(headers: Mapping[str, str] | None) -> list[str]:
    """Names of the headers whose values are credentials (masked when read back)."""
    return [name for name, value in (headers or {}).items() if value and secret_name(name)]


def resolved_origin(url: str, variables: Iterable[Mapping[str, Any]], server_url: str) -> list[Any] | None:
    """The origin `url` names once the given variables' values (and `${server.url}`) are filled in."""
    mapping: dict[str, Any] = {v["key"]: v.get("value") for v in variables}
    mapping["server.url"] = server_url
    found = outgoing.origin(variables_.substitute(url, mapping))
    return list(found) if found else None


def has_url_secrets(url: str) -> bool:
    """Whether the URL text holds a credential: a `user:password@` or a secret query value."""
    return outgoing.masked_url(url) != url


def stamp(config: dict[str, Any], variables: Iterable[Mapping[str, Any]], server_url: str) -> None:
    """Record on a WebhookTask's config the origin its secrets (headers, URL) are entered for."""
    config.pop(SECRET_ORIGIN, None)
    if secret_headers(config.get("headers")) or has_url_secrets(config["url"]):
        config[SECRET_ORIGIN] = resolved_origin(config["url"], variables, server_url)


def restore_masked_variables(given: list[dict[str, Any]], stored: Iterable[Mapping[str, Any]]) -> None:
    """Password variables sent back masked keep their stored value; a new one must be entered."""
    before = {v["key"]: v for v in stored}
    for item in given:
        if item.get("type") != PASSWORD_VARIABLE or item.get("value") != MASK:
            continue
        old = before.get(item["key"])
        if old is None or old.get("type") != PASSWORD_VARIABLE:
            raise Invalid(f"variables.{item['key']} is masked: send its value again.")
        item["value"] = old.get("value")


def restore_masked(
    phases: list[PhaseSpec], stored: Mapping[str, Task], variables: list[dict[str, Any]], server_url: str
) -> None:
    """Put back the secrets a client sent back masked (header values, the URL's password and secret
    query values), then stamp every WebhookTask. A masked value is kept only for the same stored
    task whose URL, with the plan's variables filled in, names the origin the secret was stored
    for: otherwise keeping it would send a secret its sender never saw to a new place."""
    for i, phase in enumerate(phases):
        for j, spec in enumerate(phase.tasks):
            if spec.type != WEBHOOK_TASK:
                continue
            where = f"phases[{i}].tasks[{j}]."
            old = stored.get(spec.source_id or "")
            old = old if old is not None and old.type == WEBHOOK_TASK else None
            url = spec.config["url"]
            stored_url = old.config["url"] if old is not None else None
            sent_masked = (
                stored_url is not None and url != stored_url and url == outgoing.masked_url(stored_url)
            )
            if sent_masked and stored_url is not None:
                spec.config["url"] = url = stored_url
            headers = spec.config.get("headers") or {}
            same = old is not None and old.config.get(SECRET_ORIGIN) == resolved_origin(
                url, variables, server_url
            )
            if (sent_masked or MASK in url) and not same:
                raise Invalid(f"{where}url is masked: send it again with its credentials ({AGAIN}).")
            kept = (old.config.get("headers") or {}) if same and old is not None else {}
            for name, value in headers.items():
                if value != MASK:
                    continue
                if name not in kept:
                    raise Invalid(f"{where}headers.{name} is masked: send its value again ({AGAIN}).")
                headers[name] = kept[name]
            stamp(spec.config, variables, server_url)


def placeholders(value: Any) -> set[str]:
    """Every `${name}` used anywhere inside a task's fields."""
    if isinstance(value, str):
        return set(variables_.PLACEHOLDER.findall(value))
    if isinstance(value, list):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    return set()


def chosen_inputs(
    tasks: Iterable[tuple[str, dict[str, Any]]],
    defaults: Iterable[Mapping[str, Any]],
    values: Mapping[str, Any],
) -> list[str]:
    """The inputs a release's creator chose that the automated tasks use: variables given a value
    other than the template's, and `release.title` (always the creator's) in any field but the
    title of a release a task creates."""
    used: set[str] = set()
    for kind, config in tasks:
        if kind in AUTOMATED_TYPES:
            fields = {k: v for k, v in config.items() if k not in (SECRET_ORIGIN, "newReleaseTitle")}
            used |= placeholders(fields) | (placeholders(config.get("newReleaseTitle")) - {"release.title"})
    stored = {v["key"]: v.get("value") for v in defaults}
    given = {item["key"]: item["value"] for item in variables_.normalize(values)}
    chosen = sorted(k for k, v in given.items() if k in used and (k not in stored or stored[k] != v))
    return [*chosen, "release.title"] if "release.title" in used else chosen


def origin_matches(stored: list[Any] | None, target: outgoing.Origin | None) -> bool:
    """Whether secret headers stored for the origin `stored` may go to `target`."""
    return target is not None and stored is not None and tuple(stored) == target

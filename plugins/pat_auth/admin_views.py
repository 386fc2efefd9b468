"""Configuration › All tokens and Configuration › Audit, for holders of `security#edit`.

Server-rendered: the filters are a GET form, so a filtered list is a link one can share; Revoke
is a POST form (the session's CSRF token) behind a confirmation dialog, answered by a redirect
back to the same filters. Revoking goes through `store.delete_token`, as the API's DELETE does,
so it is audited and takes effect on the next request in every process.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import falcon
import msgspec

from host import NavLink, Route, find_user, pager, query_int, render_page
from plugins.pat_auth import audit, store
from plugins.pat_auth.resources import ADMIN_PERMISSION
from plugins.pat_auth.views import PACKAGE

ALL_TOKENS = "/configuration/access-tokens"
AUDIT = "/configuration/audit"
PAGE_SIZE = 50
FILTERS = ("username", "status", "expiresWithinDays", "lastUsed")
LAST_USED = {
    "": "Any time",
    "never": "Never used",
    "within-7": "In the last 7 days",
    "within-30": "In the last 30 days",
    "not-30": "Not in the last 30 days",
    "not-90": "Not in the last 90 days",
}
STATUS_LABELS = {"": "Any", store.ACTIVE: "Active", store.EXPIRED: "Expired"}
ACTIONS = {
    audit.CREATED: "Created",
    audit.DELETED: "Deleted",
    audit.REFUSED: "Refused",
    audit.REUSED: "Reused after rotation",
    audit.NARROWED: "Narrowed to used permissions",
    audit.CHANGED: "Renamed or narrowed",
    audit.LEAKED: "Reported leaked",
    audit.NEW_ADDRESS: "Used from a new address",
    **audit.SECURITY_EVENTS,
}
REASONS = {"expired": "expired", "invalid": "invalid", "owner-disabled": "owner disabled"}
DONE = {
    "revoked": "Token {name} revoked.",
    "revoked-all": "{name}",
}


def _text_param(req: falcon.Request, name: str, allowed: dict[str, str] | None = None) -> str:
    value = req.get_param(name) or ""
    value = value.strip()[:150] if isinstance(value, str) else ""
    if allowed is not None and value not in allowed:
        raise falcon.HTTPBadRequest(
            title="Bad Request", description=f"{name} must be one of {', '.join(k for k in allowed if k)}."
        )
    return value


def token_filter(host, req: falcon.Request) -> tuple[store.TokenFilter, dict[str, Any]]:
    """The filter form's values, checked, as a `TokenFilter` and as the form shows them."""
    username = _text_param(req, "username")
    status = _text_param(req, "status", STATUS_LABELS)
    days = query_int(req, "expiresWithinDays", 0, 0, 36500)
    last_used = _text_param(req, "lastUsed", LAST_USED)
    now = host.now()
    kind, _, span = last_used.partition("-")
    since = now - timedelta(days=int(span)) if span else None
    found = store.TokenFilter(
        username=username or None,
        status=status or None,
        expires_before=now + timedelta(days=days) if days else None,
        used_since=since if kind == "within" else None,
        unused_since=since if kind == "not" else None,
        never_used=kind == "never",
    )
    shown = {"username": username, "status": status, "expiresWithinDays": days or "", "lastUsed": last_used}
    return found, shown


def _done(req: falcon.Request) -> str:
    template = DONE.get(req.get_param("done") or "")
    return template.format(name=req.get_param("name") or "") if template else ""


class AllTokensPage:
    """`GET /configuration/access-tokens`: every user's tokens, filtered and paged."""

    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        found, shown = token_filter(self.host, req)
        page = query_int(req, "page", 0, 0, 100_000)
        now = self.host.now()
        rows = store.list_tokens(self.host, where=found, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
        total = store.count_tokens(self.host, found)
        render_page(
            self.host,
            req,
            resp,
            "admin_tokens.html",
            package=PACKAGE,
            title="All tokens",
            tokens=[msgspec.to_builtins(store.token_json(token, now, with_username=True)) for token in rows],
            filters=shown,
            back=urlencode({k: v for k, v in shown.items() if v}),
            status_labels=STATUS_LABELS,
            last_used_labels=LAST_USED,
            pager=pager(req, page, PAGE_SIZE, total=total, keep=shown),
            done=_done(req),
            all_tokens_path=ALL_TOKENS,
        )


def _back(form: dict[str, Any]) -> dict[str, str]:
    """The filters to return to, from the form's `back` field: known names only."""
    raw = form.get("back")
    pairs = parse_qsl(raw if isinstance(raw, str) else "")
    return {k: v[:150] for k, v in pairs if k in FILTERS}


def _form(req: falcon.Request) -> dict[str, Any]:
    form = req.get_media() if (req.content_type or "").startswith("application/x-www-form-urlencoded") else {}
    return form if isinstance(form, dict) else {}


class RevokeToken:
    """`POST /configuration/access-tokens/{token_id}/revoke`: revoke anyone's token."""

    def __init__(self, host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        form = _form(req)
        actor = req.context.actor
        try:
            token = store.delete_token(self.host, token_id, by=actor.username, ip=req.remote_addr)
        except store.NotFound as exc:
            raise falcon.HTTPNotFound(title="Not Found", description=exc.message) from None
        done = {"done": "revoked", "name": f"{token.name!r} of {token.user.username}"}
        resp.status = falcon.HTTP_303
        resp.location = f"{ALL_TOKENS}?{urlencode({**_back(form), **done})}"


class RevokeAll:
    """`POST /configuration/access-tokens/revoke-all` with `username`: every token of that user."""

    def __init__(self, host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        form = _form(req)
        username = form.get("username")
        user = find_user(username.strip()) if isinstance(username, str) and username.strip() else None
        if user is None:
            shown = username[:150] if isinstance(username, str) else ""
            raise falcon.HTTPNotFound(title="Not Found", description=f"There is no user {shown!r}.")
        actor = req.context.actor
        revoked = store.delete_user_tokens(self.host, user.id, by=actor.username, ip=req.remote_addr)
        noun = "token" if revoked == 1 else "tokens"
        done = {"done": "revoked-all", "name": f"{revoked} {noun} of {user.username} revoked."}
        resp.status = falcon.HTTP_303
        resp.location = f"{ALL_TOKENS}?{urlencode({**_back(form), **done})}"


class AuditPage:
    """`GET /configuration/audit`: what happened to tokens (created, deleted, refused), newest first."""

    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        username = _text_param(req, "username")
        action = _text_param(req, "action", {"": "", **ACTIONS})
        reason = _text_param(req, "reason", {"": "", **REASONS})
        page = query_int(req, "page", 0, 0, 100_000)
        where = {"username": username or None, "action": action or None, "reason": reason or None}
        rows = audit.recent(PAGE_SIZE, offset=page * PAGE_SIZE, **where)
        shown = {"username": username, "action": action, "reason": reason}
        render_page(
            self.host,
            req,
            resp,
            "audit.html",
            package=PACKAGE,
            title="Audit",
            records=[msgspec.to_builtins(audit.record_json(row)) for row in rows],
            filters=shown,
            actions=ACTIONS,
            reasons=REASONS,
            pager=pager(req, page, PAGE_SIZE, total=audit.count(**where), keep=shown),
            audit_path=AUDIT,
            all_tokens_path=ALL_TOKENS,
        )


def admin_routes(host) -> list[Route]:
    return [
        Route(ALL_TOKENS, AllTokensPage(host), {"GET": ADMIN_PERMISSION}, page=True),
        Route(ALL_TOKENS + "/revoke-all", RevokeAll(host), {"POST": ADMIN_PERMISSION}, page=True),
        Route(ALL_TOKENS + "/{token_id}/revoke", RevokeToken(host), {"POST": ADMIN_PERMISSION}, page=True),
        Route(AUDIT, AuditPage(host), {"GET": ADMIN_PERMISSION}, page=True),
    ]


def admin_links(host, actor) -> list[NavLink]:
    if not host.allowed(actor, ADMIN_PERMISSION):
        return []
    return [
        NavLink("Configuration › All tokens", ALL_TOKENS, order=72),
        NavLink("Configuration › Audit", AUDIT, order=73),
    ]

"""The Access tokens page; pat_auth mounts what `page_routes` returns.

The server renders the layout, the expiration choices and the permissions the user may give a
token; the table and the Generate/Rotate/Delete actions call the JSON API from the browser, so the page
and scripts share one code path. The server never renders a secret: it exists only in the
create response the page's script receives, and is gone when the page is left.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import falcon

from host import AUTHENTICATED, EXTERNAL, NavLink, Route, render_page
from plugins.pat_auth.policy import NEVER, load_policy
from plugins.pat_auth.rotation import DEFAULT_OVERLAP
from plugins.pat_auth.store import MAX_NAME_LENGTH

OVERLAPS = [
    {"value": "0", "label": "No overlap: refuse it at once"},
    {"value": "1h", "label": "1 hour"},
    {"value": "1d", "label": "1 day"},
    {"value": "3d", "label": "3 days"},
    {"value": "7d", "label": "7 days"},
]

PACKAGE = "plugins.pat_auth"
PAGE = "/profile/access-tokens"


def expiration_label(choice: str) -> str:
    """`7d` → "7 days", `1y` → "1 year", `never` → "No expiration"."""
    if choice == NEVER:
        return "No expiration"
    count, unit = int(choice[:-1]), "day" if choice.endswith("d") else "year"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def expiration_choices(policy_choices: dict[str, timedelta | None]) -> list[dict[str, Any]]:
    return [
        {
            "value": choice,
            "label": expiration_label(choice),
            "seconds": int(span.total_seconds()) if span is not None else "",
        }
        for choice, span in policy_choices.items()
    ]


class AccessTokensPage:
    """`GET /profile/access-tokens`: the signed-in user's tokens and the Generate panel."""

    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        actor = req.context.actor
        settings = self.host.settings("pat_auth")
        policy = load_policy(settings)
        held = [p for p in self.host.permissions.values() if p.is_global and self.host.allowed(actor, p.name)]
        render_page(
            self.host,
            req,
            resp,
            "access_tokens.html",
            package=PACKAGE,
            title="Access tokens",
            can_generate=actor.source != EXTERNAL,
            expirations=expiration_choices(policy.expirations),
            default_expiration=policy.default_expiration,
            permissions=held,
            max_name_length=MAX_NAME_LENGTH,
            overlaps=OVERLAPS,
            default_overlap=DEFAULT_OVERLAP,
            revoke_unused_after=expiration_label(settings.revoke_unused_after)
            if settings.revoke_unused_after
            else "",
        )


def page_routes(host) -> list[Route]:
    return [Route(PAGE, AccessTokensPage(host), {"GET": AUTHENTICATED}, page=True)]


def navigation_links(host, actor) -> list[NavLink]:
    return [NavLink("Access tokens", PAGE, order=10)]

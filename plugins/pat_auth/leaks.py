"""Leaked-token reports: anyone may send strings found in public (GitHub's credential revocation
API); each one that is a live token is revoked at once, audited with the source and the
reporter's address, and its owner is told.

`POST /api/v1/personal-access-tokens/revoke-leaked`, public: `{"tokens": [...], "source": "…"}`.
The answer is 202 with the number of strings received, whatever they were, so it cannot be used
to test whether a token is valid. What it costs is bounded by the sender:

- strings that fail the offline format and checksum check (`tokens.shape`) cost no query at all;
- a report with well-formed strings first checks the address's failed-attempt limit (one read,
  429 once over it, the host's `[security]` limits), then looks them up in one query; when none is
  a live token, it counts as one failed attempt (one upsert, none once over the limit), as a
  refused token does on the request path, so guessing through this endpoint is as limited as
  guessing with requests.
"""

from __future__ import annotations

import falcon

from host import (
    PUBLIC,
    ErrorBody,
    Host,
    Operation,
    Route,
    User,
    check_attempts,
    client_address,
    read_json,
    record_failure,
    send_json,
    write_transaction,
)
from plugins.pat_auth import audit, messages, resources, store, tokens
from plugins.pat_auth.bodies import LeakReceived, LeakReport
from plugins.pat_auth.models import PersonalAccessToken

REPORTER = "leak-report"
MAX_SOURCE = 2000


def report(host: Host, req: falcon.Request, strings: list[str], source: str | None) -> int:
    """Revoke every live token among `strings`; how many were revoked (never told the caller)."""
    candidates = sorted({s for s in strings if tokens.shape(s) is tokens.Shape.OK})
    if not candidates:
        return 0
    attempts = check_attempts(host, req)
    found = live_ids(host, candidates)
    if not found:
        with write_transaction():
            record_failure(host, attempts)
        return 0
    return revoke(host, found, source, client_address(host, req), REPORTER)


def live_ids(host: Host, secrets: list[str]) -> list[int]:
    """The ids of the live tokens among well-formed `secrets` (one query)."""
    digests = [host.secrets.digest(secret, tokens.DIGEST_PURPOSE) for secret in secrets]
    t = PersonalAccessToken
    query = t.select(t.id).where(t.digest.in_(digests) & store.live(host.now())).order_by(t.id)
    return [row.id for row in query]


def revoke(host: Host, token_ids: list[int], source: str | None, ip: str | None, by: str) -> int:
    """Revoke each as leaked (audit, events, the owner's message); how many were still live."""
    where = host.redact(source)[:MAX_SOURCE] if source else None
    revoked = 0
    for token_id in token_ids:
        try:
            token = store.delete_token(host, token_id, by=by, ip=ip)
        except store.NotFound:  # revoked meanwhile
            continue
        _tell(host, token, where, ip, by)
        revoked += 1
    return revoked


def _tell(host: Host, token: PersonalAccessToken, source: str | None, ip: str | None, by: str) -> None:
    """The `leaked` audit row, `pat.leaked`, and the owner's message."""
    username = User.select(User.username).where(User.id == token.user_id).scalar()
    payload = audit.record(
        host,
        audit.LEAKED,
        **audit.about(token, username=username),
        by=by,
        ip=ip,
        source=source,
    )
    payload.update(tokenNote=token.name, source=source)
    audit.emit(host, audit.LEAKED, payload)
    host.emit(
        messages.NOTIFY,
        messages.leak_report(host, token.user_id, token.name, token.hint, source, host.now()),
        source="pat_auth",
    )


class RevokeLeaked:
    """`POST …/revoke-leaked`: public, answers 202 and the count whatever was sent."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, LeakReport)
        limit = self.host.settings("pat_auth").max_leak_report
        if len(body.tokens) > limit:
            raise falcon.HTTPBadRequest(
                title="Bad Request", description=f"tokens: at most {limit} strings per report."
            )
        report(self.host, req, body.tokens, body.source)
        send_json(resp, LeakReceived(received=len(body.tokens)), 202)


def routes(host: Host) -> list[Route]:
    return [
        Route(
            resources.TOKENS + "/revoke-leaked",
            RevokeLeaked(host),
            {"POST": PUBLIC},
            operations={
                "POST": Operation(
                    "Report leaked personal access tokens (anyone may)",
                    body=LeakReport,
                    responses={202: LeakReceived, 400: ErrorBody, 429: ErrorBody},
                    description=(
                        "Every string that is a live token is revoked at once and its owner told. The "
                        "answer is the same whatever was sent. Limited per address like failed "
                        "token attempts (429 with Retry-After)."
                    ),
                )
            },
        )
    ]

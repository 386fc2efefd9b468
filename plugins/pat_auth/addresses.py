"""Where each token is used from: its last five client networks, and an alert on a new one.

The address is the host's `client_address` (behind a proxy, only what `[security]
trusted_proxies` vouches for; never a header the client controls). It is counted by network:
IPv4 by `new_address_prefix_v4` bits (32: the address itself), IPv6 by `new_address_prefix_v6`
(64: one customer's usual allocation).

The last five are a JSON column of the token (`[[network, first, last], ...]`) that the request's
lookup reads and the once-a-minute last-used update rewrites, so a known network costs nothing.
A network not among them is claimed in `pat_token_addresses`, unique per token: of any number of
requests, workers and hosts, the one whose INSERT succeeds writes the audit row, emits
`pat.new_address` and asks for the owner's message; the others find the row there. Each worker
remembers what it checked, so a network beyond the last five costs one statement per worker.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import threading
import weakref
from typing import Any

import peewee

from host import Host, User, to_db
from plugins.pat_auth import audit, messages
from plugins.pat_auth.models import PatTokenAddress, PersonalAccessToken

log = logging.getLogger("release_host.pat_auth")

KEEP = 5
MAX_REMEMBERED = 10_000


@functools.lru_cache(maxsize=4096)
def network(ip: str, v4_prefix: int = 32, v6_prefix: int = 64) -> str:
    """`203.0.113.7` → itself (or `203.0.113.0/24` with a prefix of 24); IPv6 by its /64."""
    try:
        address = ipaddress.ip_address(ip.strip("[]").split("%", 1)[0])
    except ValueError:
        return ip[:64]
    prefix = v4_prefix if address.version == 4 else v6_prefix
    if prefix >= address.max_prefixlen:
        return str(address)
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def parse(raw: str | None) -> list[list[Any]]:
    if not raw:
        return []
    try:
        found = json.loads(raw)
    except ValueError:
        return []
    return (
        [entry for entry in found if isinstance(entry, list) and len(entry) == 3]
        if isinstance(found, list)
        else []
    )


def updated(raw: str | None, net: str, at: str) -> str:
    """The last five with `net` used at `at` (moved first)."""
    entries = parse(raw)
    mine = next((entry for entry in entries if entry[0] == net), None)
    others = [entry for entry in entries if entry[0] != net]
    entry = [net, mine[1] if mine else at, at]
    kept = sorted([entry, *others], key=lambda e: str(e[2]), reverse=True)[:KEEP]
    return json.dumps(kept, separators=(",", ":"))


class _Checked:
    """(token id, network) pairs this worker already claimed or found claimed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pairs: set[tuple[int, str]] = set()

    def first_time(self, pair: tuple[int, str]) -> bool:
        with self.lock:
            if pair in self.pairs:
                return False
            if len(self.pairs) >= MAX_REMEMBERED:
                self.pairs.clear()
            self.pairs.add(pair)
            return True


_checked: weakref.WeakKeyDictionary[Host, _Checked] = weakref.WeakKeyDictionary()


def seen(host: Host, token_id: int, user_id: int, net: str, ip: str, raw: str | None) -> None:
    """On every token request: nothing when `net` is among the last five (or this worker already
    checked it); else claim it, and announce it when the claim is the first."""
    if f'"{net}"' in (raw or ""):
        return
    checked = _checked.get(host) or _checked.setdefault(host, _Checked())
    if not checked.first_time((token_id, net)):
        return
    try:
        _claim(host, token_id, user_id, net, ip, first=not parse(raw))
    except peewee.DatabaseError as exc:
        log.warning("could not record a new address of token %s: %s", token_id, type(exc).__name__)


def _claim(host: Host, token_id: int, user_id: int, net: str, ip: str, *, first: bool) -> None:
    now = host.now()
    query = PatTokenAddress.insert(token_id=token_id, network=net, first_at=to_db(now)).on_conflict_ignore()
    if not host.database.execute(query).rowcount:
        return
    t = PersonalAccessToken
    token = t.select(t.name, t.hint, User.username).join(User).where(t.id == token_id).first()
    if token is None:
        return
    username = token.user.username
    payload = audit.record(
        host,
        audit.NEW_ADDRESS,
        token_id=token_id,
        hint=token.hint,
        user_id=user_id,
        username=username,
        ip=ip,
        detail=net[:40],
    )
    payload.update(tokenNote=token.name, network=net, detail=net, first=first)
    audit.emit(host, "new_address", payload)
    if not first:  # the first address is the owner's own script; a second one is news
        host.emit(
            messages.NOTIFY,
            messages.new_address(host, user_id, token.name, token.hint, ip, net, now),
            source="pat_auth",
        )


def recent(raw: str | None) -> list[dict[str, str]]:
    """The last five, newest first, as the API and page show them."""
    return [{"network": str(n), "firstAt": str(f), "lastAt": str(last)} for n, f, last in parse(raw)]

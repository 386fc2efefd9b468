"""A real SMTP server for the notification tests: aiosmtpd on a free port, keeping what it receives.

`smtp.refuse(n)` answers the next n messages with a temporary failure (451), as a busy relay
does, so the tests see deliveries retried."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest

from host.testing import free_port


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    @property
    def raw(self) -> str:
        return self.message.as_string()


@dataclass
class SmtpServer:
    port: int
    received: list[Received] = field(default_factory=list)
    refusals: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, count: int) -> None:
        self.refusals = count

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.to]

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler interface
        with self.lock:
            if self.refusals:
                self.refusals -= 1
                return "451 4.3.0 Try again later"
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def settings(self, **more) -> dict:
        """`[plugins.notifications]` for this server (plain SMTP on localhost)."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "security": "none", **more}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    server = SmtpServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()

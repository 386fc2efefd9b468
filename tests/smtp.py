"""A real SMTP server for the notification tests: aiosmtpd on a free port, keeping what it receives.

`smtp.refuse(n)` answers the next n messages with a temporary failure (451), as a busy relay
does, so the tests see deliveries retried."""

from __future__ import annotations

import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

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
    security: str = "none"
    extra: dict[str, Any] = field(default_factory=dict)  # ca_file, username, password
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted) per AUTH

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
        """`[plugins.notifications]` for this server."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "security": self.security,
            **self.extra,
            **more,
        }


@contextlib.contextmanager
def running_smtp() -> Iterator[SmtpServer]:
    """A plain SMTP server on a free port of 127.0.0.1 for the block."""
    from aiosmtpd.controller import Controller

    server = SmtpServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


def _self_signed(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, the certificate being its own CA (`ca_file`)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_smtp(tmp_path) -> Iterator[Any]:
    """Factory: `tls_smtp("starttls" | "tls", login=("user", "password"))` → an `SmtpServer` whose
    `settings()` carry `security`, `ca_file` and the login; `server.logins` records AUTH attempts."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = _self_signed(tmp_path)
    started = []

    def start(security: str, login: tuple[str, str] | None = None) -> SmtpServer:
        server = SmtpServer(free_port(), security=security, extra={"ca_file": cert})
        if login:
            server.extra.update(username=login[0], password=login[1])
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticate(smtp_server, session, envelope, mechanism, data):
            user, password = data.login.decode(), data.password.decode()
            ok = login is not None and (user, password) == login
            server.logins.append((user, ok))
            return AuthResult(success=ok)

        options: dict[str, Any] = {"authenticator": authenticate, "auth_required": login is not None}
        if security == "tls":  # aiosmtpd sees only STARTTLS as TLS for AUTH; this whole session is
            options.update(ssl_context=context, auth_require_tls=False)
        else:
            options.update(tls_context=context, require_starttls=True)
        controller = Controller(server, hostname="127.0.0.1", port=server.port, **options)
        controller.start()
        started.append(controller)
        return server

    yield start
    for controller in started:
        controller.stop()

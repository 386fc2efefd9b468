"""`[plugins.notifications]`: the SMTP server messages go through, and how failures are retried."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from host import PluginSettings

PORTS = {"starttls": 587, "tls": 465, "none": 25}


class NotificationSettings(PluginSettings, frozen=True):
    """Without `smtp_host` nothing is sent: each message is logged (recipient, kind, subject)."""

    smtp_host: str = ""
    # 0: the usual port of `security` (587 STARTTLS, 465 implicit TLS, 25 none)
    smtp_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password: str = ""  # {env = "RELEASE_HOST_SMTP_PASSWORD"}; never logged, redacted by `config show`
    from_address: str = "Release Host <release-host@localhost>"
    ca_file: str = ""  # trust this CA instead of the system's (certificates are always verified)
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=300)] = 10.0
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=50)] = 6
    retry_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0  # doubled after each failure
    poll_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0

    def __post_init__(self) -> None:
        if self.password and not self.username:
            raise ValueError("password is set but username is not: give both to log in, or neither")
        if "\n" in self.from_address or "\r" in self.from_address:
            raise ValueError("from_address must be one line, such as 'Release Host <ops@example.org>'")

    @property
    def port(self) -> int:
        return self.smtp_port or PORTS[self.security]

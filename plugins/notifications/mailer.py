"""Building and sending one e-mail with the standard library: a text and an HTML part, over
STARTTLS or implicit TLS with verified certificates (or plain, for a local relay), with an
optional login. Raises on any failure; the caller's work queue retries."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from plugins.notifications.settings import NotificationSettings


def build(settings: NotificationSettings, to: str, subject: str, text: str, html: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="release-host")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html:
        message.add_alternative(f"<!DOCTYPE html><html><body>{html}</body></html>", subtype="html")
    return message


def _context(settings: NotificationSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file or None)


def send(settings: NotificationSettings, message: EmailMessage) -> None:
    host, port, timeout = settings.smtp_host, settings.port, settings.timeout_seconds
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_context(settings))
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if settings.security == "starttls":
            client.starttls(context=_context(settings))
        if settings.username:
            client.login(settings.username, settings.password)
        client.send_message(message)

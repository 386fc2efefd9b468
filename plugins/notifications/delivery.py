"""From a `notification.requested` event to e-mails: one job per recipient in the host's work
queue (in the emitter's transaction), delivered by each server process's background thread.

The request that emitted the event only inserts rows; SMTP runs in the thread, and a failure is
retried with backoff (`host.run_due_jobs`). Recipients are resolved when the event comes: the
user named by `userId`, or every enabled user holding `permission`, each with an e-mail address.
Subjects and bodies pass through `host.redact`, so a secret some plugin issues cannot go out.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from host import Host, User, actor_for, enqueue_job, run_due_jobs
from plugins.notifications import mailer
from plugins.notifications.settings import NotificationSettings

log = logging.getLogger("release_host.notifications")

EVENT = "notification.requested"
JOB = "notifications.email"


def settings_of(host: Host) -> NotificationSettings:
    return host.settings("notifications")


def recipients(host: Host, payload: dict[str, Any]) -> list[User]:
    query = User.select().where(User.enabled & (User.email != ""))
    user_id, permission = payload.get("userId"), payload.get("permission")
    if isinstance(user_id, int):
        return list(query.where(User.id == user_id))
    if isinstance(permission, str) and permission:
        return [
            user
            for user in query.order_by(User.id)
            if host.allowed(actor_for(user, via="system"), permission)
        ]
    return []


def queue(host: Host, payload: dict[str, Any]) -> int:
    """Queue one e-mail per recipient; returns how many. Without SMTP, log instead."""
    settings = settings_of(host)
    kind = str(payload.get("kind") or "notification")
    subject = host.redact(str(payload.get("subject") or ""))
    people = recipients(host, payload)
    if not people:
        log.info("notification %s: no recipient with an e-mail address (%s)", kind, subject)
        return 0
    if not settings.smtp_host:
        for user in people:
            log.info(
                "notification %s to %s not sent (no SMTP server configured): %s", kind, user.username, subject
            )
        return 0
    for user in people:
        enqueue_job(
            host,
            JOB,
            {
                "to": user.email,
                "kind": kind,
                "subject": subject,
                "text": host.redact(str(payload.get("text") or "")),
                "html": host.redact(str(payload.get("html") or "")),
            },
        )
    return len(people)


def deliver_due(host: Host) -> int:
    """Send what is due (one round of the background thread, or of a test)."""
    settings = settings_of(host)
    if not settings.smtp_host:
        return 0

    def deliver(job: dict[str, Any]) -> None:
        message = mailer.build(settings, job["to"], job["subject"], job["text"], job["html"])
        mailer.send(settings, message)
        log.info("notification %s sent to %s", job["kind"], job["to"])

    return run_due_jobs(
        host,
        JOB,
        deliver,
        max_attempts=settings.max_attempts,
        retry_after=timedelta(seconds=settings.retry_seconds),
    )

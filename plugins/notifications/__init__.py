"""Notifications: host events delivered to people by e-mail (SMTP, `docs/plugins.md`).

Other plugins emit `notification.requested` (never import this one); it is queued in the host's
work queue and sent by a background thread in each server process, retried with backoff.
Disabled (left out of `[plugins] enabled`), the events are simply not handled.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from host import Periodic, hookimpl
from plugins.notifications import delivery
from plugins.notifications.settings import NotificationSettings

_threads: WeakKeyDictionary = WeakKeyDictionary()


@hookimpl
def register_settings(host):
    return NotificationSettings


@hookimpl
def startup(host):
    settings = delivery.settings_of(host)
    if host.context == "server" and settings.smtp_host:
        work = Periodic(host, "notifications", settings.poll_seconds, lambda: delivery.deliver_due(host))
        _threads[host] = work.start()


@hookimpl
def shutdown(host):
    work = _threads.pop(host, None)
    if work is not None:
        work.stop()


@hookimpl
def handle_event(host, event):
    if event.name != delivery.EVENT:
        return None
    queued = delivery.queue(host, dict(event.payload))
    work = _threads.get(host)
    if queued and work is not None:
        work.wake()  # deliver now rather than at the next poll (the job is committed by then, or soon)
    return queued

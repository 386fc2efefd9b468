"""Records the events it receives, for `test_hook_handle_event`.

It also reacts to `hooks.ping` by emitting `hooks.pong`, to show a handler may emit in turn.
"""

from host import hookimpl

SEEN: list = []
"""(host, event) pairs; tests filter by their own host."""


@hookimpl
def handle_event(host, event):
    SEEN.append((host, event))
    if event.name == "hooks.ping":
        host.emit("hooks.pong", {"reply_to": event.payload.get("n")}, source="hooks_events")
    return {"handled_by": "hooks_events", "name": event.name}

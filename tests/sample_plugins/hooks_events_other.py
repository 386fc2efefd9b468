"""A second, well-behaved handler that runs last, for `test_hook_handle_event`."""

from host import hookimpl


@hookimpl(trylast=True)
def handle_event(host, event):
    if event.name.startswith("hooks."):
        return {"handled_by": "hooks_events_other", "name": event.name}
    return None

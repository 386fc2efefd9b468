"""A handler that fails on every event and asks to run first, for `test_hook_handle_event`:
the other handlers must still run."""

from host import hookimpl


@hookimpl(tryfirst=True)
def handle_event(host, event):
    raise RuntimeError(f"sample handler failed on {event.name}")

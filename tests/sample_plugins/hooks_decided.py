"""Records every decision the host made, for `test_hook_permission_decided`."""

from host import hookimpl

DECISIONS: list[tuple[str, str, str | None, bool]] = []


@hookimpl
def permission_decided(host, actor, permission, resource, allowed):
    DECISIONS.append((actor.username, permission, resource, allowed))

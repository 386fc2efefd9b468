"""A `validate_actor` veto, for `test_hook_validate_actor`: refuses the user `blocked`, and
records every actor it saw in the request context so the test can see it ran after the chain."""

from host import AuthenticationFailed, hookimpl


@hookimpl
def validate_actor(host, actor, req):
    req.context.validated = [*getattr(req.context, "validated", []), actor.username]
    if actor.username == "blocked":
        raise AuthenticationFailed("User blocked by the sample policy.")

"""An authentication chain member reading `X-Hooks-Key: good-<username>` (or `bad`), for
`test_hook_actor_from_request`; it also describes the credentials it issued (`credential_info`)."""

from host import Actor, AuthenticationFailed, hookimpl

HEADER = "X-Hooks-Key"


@hookimpl
def actor_from_request(host, req):
    key = req.get_header(HEADER)
    if key is None:
        return None
    if not key.startswith("good-"):
        raise AuthenticationFailed("This hooks key is not valid.")
    username = key.removeprefix("good-")
    return Actor(user_id=0, username=username, via="hooks-key", credential_id=f"key-{username}")


@hookimpl
def credential_info(host, credential_id):
    if not credential_id.startswith("key-"):
        return None
    username = credential_id.removeprefix("key-")
    return {"id": credential_id, "userId": 0, "username": username, "name": "hooks key", "kind": "hooks-key"}

"""Ways to sign in beside the form, for `test_hook_login_options` (two, given out of order), and a
logout that goes elsewhere for `test_hook_logout_redirect`."""

from host import LoginOption, hookimpl


@hookimpl
def login_options(host, req):
    return [
        LoginOption("Sign in with Zeta ID", "/hooks/zeta", order=20),
        LoginOption("Sign in with Acme", "/hooks/acme"),
    ]


@hookimpl
def logout_redirect(host, req, actor):
    """For `test_hook_logout_redirect`: zed signed in "at Zeta ID", so logs out there too."""
    return "https://zeta.example/logout" if actor.username == "zed" else None

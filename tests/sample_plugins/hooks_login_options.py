"""Ways to sign in beside the form, for `test_hook_login_options`: two, given out of order."""

from host import LoginOption, hookimpl


@hookimpl
def login_options(host, req):
    return [
        LoginOption("Sign in with Zeta ID", "/hooks/zeta", order=20),
        LoginOption("Sign in with Acme", "/hooks/acme"),
    ]

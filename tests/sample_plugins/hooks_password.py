"""A password authenticator for users whose source is `ldap`, for `test_hook_authenticate_password`.

It stands in for a directory: every `ldap` user's password is `directory-secret`.
"""

from host import LDAP, AuthenticationFailed, hookimpl

DIRECTORY_PASSWORD = "directory-secret"


@hookimpl
def authenticate_password(host, username, password):
    from host.users import User  # the local user record; see "Known gaps" in docs/plugins.md

    user = User.get_or_none(User.username == username)
    if user is None or user.source != LDAP:
        return None
    if password != DIRECTORY_PASSWORD:
        raise AuthenticationFailed("The directory refused this password.")
    return user

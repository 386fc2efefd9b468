"""A password authenticator for users whose source is `ldap`, for `test_hook_authenticate_password`.

It stands in for a directory: every `ldap` user's password is `directory-secret`.
"""

from host import LDAP, AuthenticationFailed, find_user, hookimpl

DIRECTORY_PASSWORD = "directory-secret"


@hookimpl
def authenticate_password(host, username, password):
    user = find_user(username)
    if user is None or user.source != LDAP:
        return None
    if password != DIRECTORY_PASSWORD:
        raise AuthenticationFailed("The directory refused this password.")
    return user

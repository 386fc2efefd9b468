"""A secret pattern that is not a regular expression: the host refuses to start."""

from host import hookimpl


@hookimpl
def secret_patterns(host):
    return ["(unclosed"]

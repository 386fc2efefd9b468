"""Implements a hook that does not exist: the host must refuse to start."""

from host import hookimpl


@hookimpl
def register_routs(host):
    return []

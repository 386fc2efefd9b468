"""Registers a permission the host already has: the host must refuse to start."""

from host import Permission, hookimpl


@hookimpl
def register_permissions(host):
    return [Permission("risk_profile#edit", "again")]

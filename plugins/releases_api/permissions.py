"""The product's permissions on releases and templates: the global ones to create them, and those
held on one release or template."""

from __future__ import annotations

from host import Actor, Host, Permission

VIEW = "release#view"
CREATE = "release#create"
START = "release#start"
ABORT = "release#abort"
EDIT = "release#edit"
EDIT_TASK = "release#edit_task"
TEMPLATE_VIEW = "template#view"
TEMPLATE_CREATE = "template#create"
TEMPLATE_EDIT = "template#edit"
TEMPLATE_CREATE_RELEASE = "template#create_release"

PERMISSIONS = [
    Permission(CREATE, "Create releases"),
    Permission(TEMPLATE_CREATE, "Create templates"),
    Permission(VIEW, "View releases", is_global=False),
    Permission(START, "Start releases", is_global=False),
    Permission(ABORT, "Abort releases", is_global=False),
    Permission(EDIT, "Edit and delete releases", is_global=False),
    Permission(EDIT_TASK, "Complete, retry and edit tasks of releases", is_global=False),
    Permission(TEMPLATE_VIEW, "View templates", is_global=False),
    Permission(TEMPLATE_EDIT, "Edit and delete templates and their triggers", is_global=False),
    Permission(TEMPLATE_CREATE_RELEASE, "Create releases from templates", is_global=False),
]


def require_template_use(host: Host, actor: Actor | None, template_id: str) -> None:
    """Making a release from a template hands over its phases, tasks and stored run-as user:
    it needs template#create_release (or template#view) on that template."""
    if not any(host.allowed(actor, p, template_id) for p in (TEMPLATE_CREATE_RELEASE, TEMPLATE_VIEW)):
        host.require(actor, TEMPLATE_CREATE_RELEASE, template_id)

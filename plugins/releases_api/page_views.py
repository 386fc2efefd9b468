"""The Templates and Releases pages: lists, details, the New release form and the release buttons.

The pages are rendered on the server and their forms post back here (with the session's CSRF
field), so a person can do every step without a script; the release page's script only adds live
updates (`release-live.js` polls `…/progress`) and the confirmation dialogs. The work is done by
the same functions the JSON API calls (`plans`, `lifecycle`), with the same permission checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import falcon
import peewee

from host import Host, pager, query_int, render_page
from plugins.releases_api import lifecycle, listing, page_data, page_inputs, plans, releases
from plugins.releases_api.errors import Busy, Conflict, Forbidden, Invalid, NotFound, ReleaseError
from plugins.releases_api.models import Release
from plugins.releases_api.permissions import (
    CREATE,
    START,
    TEMPLATE_CREATE_RELEASE,
    TEMPLATE_VIEW,
    VIEW,
    require_template_use,
)
from plugins.releases_api.vocabulary import ABORTED, ACTIVE_STATUSES, COMPLETED, FAILED, IN_PROGRESS, PLANNED

PACKAGE = "plugins.releases_api"
TEMPLATES = "/templates"
RELEASES = "/releases"
PAGE_SIZE = 25
MAX_PAGE = 10_000
MAX_FILTER = 200
MAX_COMMENT = 10_000
TEMPLATE_USE = (TEMPLATE_CREATE_RELEASE, TEMPLATE_VIEW)
STATUS_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("Any status", ()),
    "active": ("Active", ACTIVE_STATUSES),
    **{s: (page_data.status_label(s), (s,)) for s in (PLANNED, IN_PROGRESS, FAILED, COMPLETED, ABORTED)},
}
STATUS_CODES = {
    Invalid: falcon.HTTP_400,
    Forbidden: falcon.HTTP_403,
    Conflict: falcon.HTTP_409,
    Busy: falcon.HTTP_429,
}


def release_path(release_id: str) -> str:
    return f"{RELEASES}/{release_id}"


def template_path(template_id: str) -> str:
    return f"{TEMPLATES}/{template_id}"


@contextmanager
def found() -> Iterator[None]:
    """A missing template or release is the host's 404 page."""
    try:
        yield
    except NotFound as exc:
        raise falcon.HTTPNotFound(title="Not Found", description=exc.message) from None


def form_of(req: falcon.Request) -> dict[str, str]:
    """The posted form's fields (the first value of a repeated one)."""
    if (req.content_type or "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise falcon.HTTPUnsupportedMediaType(
            title="Unsupported Media Type", description="Send the form as application/x-www-form-urlencoded."
        )
    media = req.get_media()
    fields: dict[str, str] = {}
    for name, value in (media if isinstance(media, dict) else {}).items():
        first = value[0] if isinstance(value, list) and value else value
        fields[name] = first if isinstance(first, str) else ""
    return fields


def text_param(req: falcon.Request, name: str) -> str:
    value = req.get_param(name) or ""
    if len(value) > MAX_FILTER:
        raise falcon.HTTPBadRequest(
            title="Bad Request", description=f"{name} may be at most {MAX_FILTER} characters."
        )
    return value.strip()


def paged(
    host: Host, req: falcon.Request, permission: str, query: peewee.ModelSelect[Release], order: tuple
) -> tuple[list[Release], int, bool]:
    """One page of what the viewer may see, its number, and whether another follows."""
    page = query_int(req, "page", 0, 0, MAX_PAGE)
    actor = req.context.actor
    rows = listing.page_of(host, actor, permission, query, page, PAGE_SIZE, order)
    following = listing.page_of(host, actor, permission, query, (page + 1) * PAGE_SIZE, 1, order)
    return rows, page, bool(following)


class Resource:
    def __init__(self, host: Host) -> None:
        self.host = host

    def render(self, req: falcon.Request, resp: falcon.Response, template: str, **context: Any) -> None:
        render_page(self.host, req, resp, template, package=PACKAGE, **context)


class TemplatesPage(Resource):
    """`GET /templates`: the templates the viewer may see, searchable by title and tag."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        title, tag = text_param(req, "title"), text_param(req, "tag")
        order = (peewee.fn.LOWER(Release.title), Release.id)
        rows, page, more = paged(self.host, req, TEMPLATE_VIEW, listing.templates(title, tag), order)
        self.render(
            req,
            resp,
            "templates_list.html",
            title="Templates",
            templates=[page_data.summary(r) for r in rows],
            search_title=title,
            search_tag=tag,
            page=page,
            pager=pager(req, page, PAGE_SIZE, more=more),
            template_path=template_path,
        )


class TemplatePage(Resource):
    """`GET /templates/{folder}/{template}`: phases and tasks, read-only, and New release."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        with found():
            plan = releases.find(f"{folder}/{template}", template=True)
        self.render(
            req,
            resp,
            "template_detail.html",
            title=plan.title,
            plan=page_data.plan_view(self.host, req.context.actor, plan),
            new_release=template_path(plan.id) + "/new-release",
            may_create=self.host.allowed(req.context.actor, CREATE)
            and any(self.host.allowed(req.context.actor, p, plan.id) for p in TEMPLATE_USE),
        )


class NewReleasePage(Resource):
    """`GET|POST /templates/{folder}/{template}/new-release`: the product's New release form."""

    def _show(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        template: Release,
        values: dict[str, str],
        error: str = "",
        status: str = falcon.HTTP_200,
    ) -> None:
        self.render(
            req,
            resp,
            "new_release.html",
            status=status,
            title=f"New release from {template.title}",
            plan=page_data.plan_view(self.host, req.context.actor, template),
            template_link=template_path(template.id),
            values=values,
            error=error,
            may_start=self.host.allowed(req.context.actor, START),
        )

    def _template(self, req: falcon.Request, folder: str, template: str) -> Release:
        require_template_use(self.host, req.context.actor, f"{folder}/{template}")
        with found():
            return releases.find(f"{folder}/{template}", template=True)

    def on_get(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        plan = self._template(req, folder, template)
        self._show(req, resp, plan, {"scriptUsername": plan.script_username or ""})

    def on_post(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        plan = self._template(req, folder, template)
        form = form_of(req)
        start = form.get("action") == "start"
        try:
            if start:
                self.host.require(req.context.actor, START)
            title = form.get("releaseTitle", "").strip()
            if not title:
                raise Invalid("Enter a release title.")
            request = page_inputs.from_template(
                title, changed_variables(plan, form), start=start, run_as=chosen_run_as(plan, form)
            )
            with found():
                created = plans.create_from_template(
                    self.host,
                    plan.id,
                    request,
                    owner=req.context.actor.username,
                    may_reassign=page_data.is_admin(self.host, req.context.actor),
                )
        except ReleaseError as exc:
            kept = {
                k: v for k, v in form.items() if k != "scriptUserPassword" and not k.startswith("password:")
            }
            self._show(req, resp, plan, kept, exc.message, STATUS_CODES.get(type(exc), falcon.HTTP_400))
            return
        raise falcon.HTTPSeeOther(release_path(created.id))


def changed_variables(template: Release, form: dict[str, str]) -> dict[str, str]:
    """The variables the form gives another value than the template's (an empty password field
    keeps the stored password)."""
    changed = {}
    for variable in page_data.variables_of(template):
        key = variable["key"]
        if variable["password"]:
            secret = form.get(f"password:{key}", "")
            if secret:
                changed[key] = secret
            continue
        value = form.get(f"variable:{key}")
        if value is not None and value != variable["value"]:
            changed[key] = value
    return changed


def chosen_run_as(template: Release, form: dict[str, str]) -> tuple[str, str] | None:
    """None keeps the template's run-as user and stored password (the fields left as shown);
    else what was entered: an empty username with a password is a personal access token."""
    username = form.get("scriptUsername", "").strip()
    password = form.get("scriptUserPassword", "")
    if not password and username == (template.script_username or ""):
        return None
    return username, password


class ReleasesPage(Resource):
    """`GET /releases`: the releases the viewer may see, newest first, by status and title."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        title, status = text_param(req, "title"), text_param(req, "status")
        if status not in STATUS_FILTERS:
            raise falcon.HTTPBadRequest(
                title="Bad Request",
                description=f"status must be one of {', '.join(k for k in STATUS_FILTERS if k)}.",
            )
        query = listing.search(page_inputs.search(title, STATUS_FILTERS[status][1]))
        order = (Release.created_at.desc(), Release.id.desc())
        rows, page, more = paged(self.host, req, VIEW, query, order)
        self.render(
            req,
            resp,
            "releases_list.html",
            title="Releases",
            releases=[page_data.summary(r) for r in rows],
            search_title=title,
            search_status=status,
            status_filters=[(k, label) for k, (label, _) in STATUS_FILTERS.items()],
            page=page,
            pager=pager(req, page, PAGE_SIZE, more=more),
            release_path=release_path,
            request_deleted=req.get_param("deleted") == "1",
        )


class ReleaseView(Resource):
    """Renders the release page: phases, tasks and the buttons the viewer may use."""

    def show(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        plan: Release,
        error: str = "",
        status: str = falcon.HTTP_200,
    ) -> None:
        actor = req.context.actor
        self.render(
            req,
            resp,
            "release_detail.html",
            status=status,
            title=plan.title,
            plan=page_data.plan_view(self.host, actor, plan),
            actions=page_data.actions(self.host, actor, plan),
            may=page_data.may_ever(self.host, actor, plan),
            started_by=page_data.started_by(self.host, actor, plan),
            template_link=template_path(plan.origin_template_id) if plan.origin_template_id else None,
            base=release_path(plan.id),
            error=error,
            release_path=release_path,
        )


class ReleasePage(ReleaseView):
    """`GET /releases/{folder}/{release}`."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with found():
            plan = releases.find(f"{folder}/{release}")
        self.show(req, resp, plan)


class ReleaseProgress(Resource):
    """`GET /releases/{folder}/{release}/progress`: the JSON the release page polls."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with found():
            plan = releases.find(f"{folder}/{release}")
        resp.media = page_data.progress(self.host, req.context.actor, plan)


class ReleaseAction(ReleaseView):
    """`POST /releases/{folder}/{release}/start|abort|delete`: the buttons' forms; a refusal
    shows the release page with the reason."""

    def __init__(self, host: Host, action: str) -> None:
        super().__init__(host)
        self.action = action

    def on_post(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        release_id = f"{folder}/{release}"
        form = form_of(req)
        try:
            with found():
                if self.action == "start":
                    lifecycle.start(self.host, release_id)
                elif self.action == "abort":
                    comment = form.get("abortComment", "").strip()
                    if not comment:
                        raise Invalid("Enter a comment: why the release is aborted.")
                    if len(comment) > MAX_COMMENT:
                        raise Invalid(f"The comment may be at most {MAX_COMMENT} characters.")
                    lifecycle.abort(self.host, release_id, comment)
                else:
                    lifecycle.delete_release(release_id)
                    raise falcon.HTTPSeeOther(RELEASES + "?" + urlencode({"deleted": "1"}))
        except (Invalid, Conflict) as exc:
            with found():
                plan = releases.find(release_id)
            self.show(req, resp, plan, exc.message, STATUS_CODES[type(exc)])
            return
        raise falcon.HTTPSeeOther(release_path(release_id))

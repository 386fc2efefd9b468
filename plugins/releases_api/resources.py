"""The Falcon resources of the releases API. Access is declared on the routes and enforced by
the host before any responder runs; responders only check a second permission where one call
needs two (starting a release it creates; saving a trigger, which will create and start releases
on its owner's behalf)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import falcon

from host import ADMIN, Host, bad_request, json_body
from plugins.releases_api import chains, lifecycle, listing, plans, releases, schema, triggers
from plugins.releases_api.errors import Busy, Conflict, Forbidden, Invalid, NotFound
from plugins.releases_api.ids import task_param
from plugins.releases_api.models import Release, TriggerExecution
from plugins.releases_api.permissions import CREATE, START, TEMPLATE_VIEW, VIEW, require_template_use
from plugins.releases_api.serialize import releases_json, task_json
from plugins.releases_api.vocabulary import PLANNED, TEMPLATE


@contextmanager
def answers() -> Iterator[None]:
    """The plugin's refusals as HTTP answers: 400 naming the field, 403, 404, 409, 429."""
    try:
        yield
    except Invalid as exc:
        raise bad_request(exc.message) from None
    except Forbidden as exc:
        raise falcon.HTTPForbidden(title="Forbidden", description=exc.message) from None
    except NotFound as exc:
        raise falcon.HTTPNotFound(title="Not Found", description=exc.message) from None
    except Conflict as exc:
        raise falcon.HTTPConflict(title="Conflict", description=exc.message) from None
    except Busy as exc:
        raise falcon.HTTPTooManyRequests(title="Too Many Requests", description=exc.message) from None


def optional_body(req: falcon.Request) -> dict[str, Any]:
    """A JSON object when the request has a body, {} when it has none."""
    if not req.content_length:
        return {}
    return json_body(req)


def whole(release: Release, full: bool) -> dict[str, Any]:
    return releases_json([Release.get_by_id(release.id)], full=full)[0]


def require_trigger_rights(host: Host, req: falcon.Request) -> None:
    """A trigger creates and starts releases: whoever saves one must be able to do both."""
    host.require(req.context.actor, CREATE)
    host.require(req.context.actor, START)


class Resource:
    def __init__(self, host: Host) -> None:
        self.host = host

    def full(self, req: falcon.Request) -> bool:
        """Admins also see what automated tasks' HTTP calls answered (`responseBody`), and may make
        releases and templates owned by someone else."""
        return self.host.allowed(req.context.actor, ADMIN)


class ReleaseCollection(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with answers():
            page, per_page = schema.page_params(req)
            found = listing.page_of(
                self.host, req.context.actor, VIEW, listing.open_releases(), page, per_page
            )
        resp.media = releases_json(found, full=self.full(req))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with answers():
            spec = schema.parse_plan(json_body(req))
            release = plans.create_plan(
                self.host, spec, status=PLANNED, owner=req.context.actor.username, may_reassign=self.full(req)
            )
        resp.media = whole(release, self.full(req))


class ReleasesByTitle(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        title = req.get_param("releaseTitle")
        if not title:
            raise bad_request("releaseTitle is required.")
        with answers():
            page, per_page = schema.page_params(req)
            found = listing.page_of(
                self.host, req.context.actor, VIEW, listing.by_title(title), page, per_page
            )
        resp.media = releases_json(found, full=self.full(req))


class ReleaseSearch(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with answers():
            filters = schema.parse_search(optional_body(req))
            page, per_page = schema.page_params(req)
            found = listing.page_of(
                self.host, req.context.actor, VIEW, listing.search(filters), page, per_page
            )
        resp.media = releases_json(found, full=self.full(req))


class ReleaseItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with answers():
            resp.media = whole(releases.find(f"{folder}/{release}"), self.full(req))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with answers():
            lifecycle.delete_release(f"{folder}/{release}")
        resp.status = falcon.HTTP_204


class ReleaseStart(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with answers():
            resp.media = whole(lifecycle.start(self.host, f"{folder}/{release}"), self.full(req))


class ReleaseAbort(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with answers():
            body = optional_body(req)
            comment = schema.string(body, "abortComment", max_length=10_000)
            resp.media = whole(lifecycle.abort(self.host, f"{folder}/{release}", comment), self.full(req))


class TemplateCollection(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with answers():
            page, per_page = schema.page_params(req)
            query = listing.templates(req.get_param("title"), req.get_param("tag"))
            found = listing.page_of(self.host, req.context.actor, TEMPLATE_VIEW, query, page, per_page)
        resp.media = releases_json(found, full=self.full(req))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with answers():
            spec = schema.parse_plan(json_body(req))
            template = plans.create_plan(
                self.host,
                spec,
                status=TEMPLATE,
                owner=req.context.actor.username,
                may_reassign=self.full(req),
            )
        resp.media = whole(template, self.full(req))


class TemplateItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        with answers():
            resp.media = whole(releases.find(f"{folder}/{template}", template=True), self.full(req))

    def on_put(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        with answers():
            body = json_body(req)
            spec = schema.parse_plan(body)
            updated = plans.update_template(
                self.host,
                f"{folder}/{template}",
                spec,
                replace_phases="phases" in body,
                may_reassign=self.full(req),
            )
        resp.media = whole(updated, self.full(req))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        with answers():
            lifecycle.delete_template(f"{folder}/{template}")
        resp.status = falcon.HTTP_204


class TemplateCreateRelease(Resource):
    """`/create` (start only with `autoStart`) and `/start` (always), both needing release#create
    and template#create_release (or template#view) on the template; starting also needs
    release#start."""

    def __init__(self, host: Host, start: bool) -> None:
        super().__init__(host)
        self.start = start

    def on_post(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        require_template_use(self.host, req.context.actor, f"{folder}/{template}")
        with answers():
            request = schema.parse_from_template(json_body(req))
            request.auto_start = request.auto_start or self.start
            if request.auto_start:
                self.host.require(req.context.actor, START)
            release = plans.create_from_template(
                self.host,
                f"{folder}/{template}",
                request,
                owner=req.context.actor.username,
                may_reassign=self.full(req),
                parent=req.get_header(chains.PARENT_HEADER),
            )
        resp.media = whole(release, self.full(req))


class TaskItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        with answers():
            resp.media = task_json(releases.find_task(task_param(params)), full=self.full(req))


class TaskComplete(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        with answers():
            optional_body(req)
            resp.media = task_json(
                lifecycle.complete_task(self.host, task_param(params)), full=self.full(req)
            )


class TaskRetry(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        with answers():
            optional_body(req)
            resp.media = task_json(lifecycle.retry_task(self.host, task_param(params)), full=self.full(req))


class TriggerCollection(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = triggers.Trigger.select().order_by(triggers.Trigger.created_at, triggers.Trigger.id)
        template_id = req.get_param("templateId")
        if template_id:
            query = query.where(triggers.Trigger.template_id == template_id)
        with answers():
            page, per_page = schema.page_params(req)
        resp.media = [triggers.trigger_json(t) for t in query.paginate(page + 1, per_page)]

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        require_trigger_rights(self.host, req)
        with answers():
            spec = triggers.parse(json_body(req))
            require_template_use(self.host, req.context.actor, spec.template_id)
            trigger = triggers.create(self.host, spec, req.context.actor.username)
        resp.status = falcon.HTTP_201
        resp.media = triggers.trigger_json(trigger)


class TriggerItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, trigger_id: str) -> None:
        with answers():
            resp.media = triggers.trigger_json(triggers.find(trigger_id))

    def on_put(self, req: falcon.Request, resp: falcon.Response, trigger_id: str) -> None:
        require_trigger_rights(self.host, req)
        with answers():
            spec = triggers.parse(json_body(req))
            require_template_use(self.host, req.context.actor, spec.template_id)
            updated = triggers.update(self.host, trigger_id, spec, req.context.actor.username)
            resp.media = triggers.trigger_json(updated)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, trigger_id: str) -> None:
        with answers():
            triggers.delete(trigger_id)
        resp.status = falcon.HTTP_204


class TriggerExecutions(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, trigger_id: str) -> None:
        with answers():
            triggers.find(trigger_id)
            page, per_page = schema.page_params(req)
        rows = (
            TriggerExecution.select()
            .where(TriggerExecution.trigger_id == trigger_id)
            .order_by(TriggerExecution.id.desc())
            .paginate(page + 1, per_page)
        )
        resp.media = [triggers.execution_json(r) for r in rows]

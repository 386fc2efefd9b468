"""The Falcon resources of the releases API. Access is declared on the routes and enforced by
the host before any responder runs; responders only check a second permission where one call
needs two (starting a release it creates; saving a trigger, which will create and start releases
on its owner's behalf)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import falcon
import peewee

from host import ADMIN, Host, bad_request, read_json, read_query, send_json
from plugins.releases_api import bodies, chains, lifecycle, listing, plans, releases, triggers
from plugins.releases_api.bodies import convert, decode, decode_optional
from plugins.releases_api.errors import Busy, Conflict, Forbidden, Invalid, NotFound
from plugins.releases_api.ids import task_param
from plugins.releases_api.models import Release, Trigger
from plugins.releases_api.permissions import CREATE, START, TEMPLATE_VIEW, VIEW, require_template_use
from plugins.releases_api.queries import ByTitleQuery, PagingQuery, TemplatesQuery, TriggersQuery
from plugins.releases_api.serialize import release_out, releases_out, task_out
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

    def send_page(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        permission: str,
        query: peewee.ModelSelect[Release],
        paging: PagingQuery,
    ) -> None:
        """One page of the releases (or templates) the caller may see, encoded from rows."""
        rows = listing.page_rows(
            self.host, req.context.actor, permission, query, paging.page, paging.results_per_page
        )
        send_json(resp, releases_out(rows, full=self.full(req)))


class ReleaseCollection(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = read_query(req, PagingQuery)
        rows = listing.open_page(self.host, req.context.actor, query.page, query.results_per_page)
        send_json(resp, releases_out(rows, full=self.full(req)))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with answers():
            spec = decode(req, bodies.Plan).spec()
            release = plans.create_plan(
                self.host, spec, status=PLANNED, owner=req.context.actor.username, may_reassign=self.full(req)
            )
        send_json(resp, release_out(release.id, full=self.full(req)))


class ReleasesByTitle(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = read_query(req, ByTitleQuery)
        self.send_page(req, resp, VIEW, listing.by_title(query.release_title), query)


class ReleaseSearch(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with answers():
            filters = decode_optional(req, bodies.ReleaseSearch).spec()
        query = read_query(req, PagingQuery)
        self.send_page(req, resp, VIEW, listing.search(filters), query)


class ReleaseItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with answers():
            found = releases.find(f"{folder}/{release}")
        send_json(resp, release_out(found.id, full=self.full(req)))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with answers():
            lifecycle.delete_release(f"{folder}/{release}")
        resp.status = falcon.HTTP_204


class ReleaseStart(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with answers():
            started = lifecycle.start(self.host, f"{folder}/{release}")
        send_json(resp, release_out(started.id, full=self.full(req)))


class ReleaseAbort(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, folder: str, release: str) -> None:
        with answers():
            body = decode_optional(req, bodies.Abort)
            aborted = lifecycle.abort(self.host, f"{folder}/{release}", body.abort_comment or "")
        send_json(resp, release_out(aborted.id, full=self.full(req)))


class TemplateCollection(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = read_query(req, TemplatesQuery)
        self.send_page(req, resp, TEMPLATE_VIEW, listing.templates(query.title, query.tag), query)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with answers():
            spec = decode(req, bodies.Plan).spec()
            template = plans.create_plan(
                self.host,
                spec,
                status=TEMPLATE,
                owner=req.context.actor.username,
                may_reassign=self.full(req),
            )
        send_json(resp, release_out(template.id, full=self.full(req)))


class TemplateItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        with answers():
            found = releases.find(f"{folder}/{template}", template=True)
        send_json(resp, release_out(found.id, full=self.full(req)))

    def on_put(self, req: falcon.Request, resp: falcon.Response, folder: str, template: str) -> None:
        with answers():
            raw = read_json(req, dict[str, Any])
            spec = convert(raw, bodies.Plan).spec()
            updated = plans.update_template(
                self.host,
                f"{folder}/{template}",
                spec,
                replace_phases="phases" in raw,
                may_reassign=self.full(req),
            )
        send_json(resp, release_out(updated.id, full=self.full(req)))

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
            request = decode(req, bodies.ReleaseFromTemplate).spec()
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
        send_json(resp, release_out(release.id, full=self.full(req)))


class TaskItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        with answers():
            task = releases.find_task(task_param(params))
        send_json(resp, task_out(task.__data__, full=self.full(req)))


class TaskComplete(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        with answers():
            decode_optional(req, bodies.NoBody)
            task = lifecycle.complete_task(self.host, task_param(params))
        send_json(resp, task_out(task.__data__, full=self.full(req)))


class TaskRetry(Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        with answers():
            decode_optional(req, bodies.NoBody)
            task = lifecycle.retry_task(self.host, task_param(params))
        send_json(resp, task_out(task.__data__, full=self.full(req)))


class TriggerCollection(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = read_query(req, TriggersQuery)
        found = Trigger.select().order_by(Trigger.created_at, Trigger.id)
        if query.template_id:
            found = found.where(Trigger.template_id == query.template_id)
        page = found.paginate(query.page + 1, query.results_per_page)
        send_json(resp, [triggers.trigger_out(t) for t in page])

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        require_trigger_rights(self.host, req)
        with answers():
            spec = decode(req, bodies.Trigger).spec()
            require_template_use(self.host, req.context.actor, spec.template_id)
            trigger = triggers.create(self.host, spec, req.context.actor.username)
        send_json(resp, triggers.trigger_out(trigger), 201)


class TriggerItem(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, trigger_id: str) -> None:
        with answers():
            send_json(resp, triggers.trigger_out(triggers.find(trigger_id)))

    def on_put(self, req: falcon.Request, resp: falcon.Response, trigger_id: str) -> None:
        require_trigger_rights(self.host, req)
        with answers():
            spec = decode(req, bodies.Trigger).spec()
            require_template_use(self.host, req.context.actor, spec.template_id)
            updated = triggers.update(self.host, trigger_id, spec, req.context.actor.username)
        send_json(resp, triggers.trigger_out(updated))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, trigger_id: str) -> None:
        with answers():
            triggers.delete(trigger_id)
        resp.status = falcon.HTTP_204


class TriggerExecutions(Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, trigger_id: str) -> None:
        with answers():
            triggers.find(trigger_id)
        query = read_query(req, PagingQuery)
        send_json(resp, triggers.executions(trigger_id, query.page, query.results_per_page))

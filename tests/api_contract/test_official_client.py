"""The official Digital.ai Release Python client (`digitalai-release-api-client`, unchanged) against
the real server: its README's way to sign in with a PAT, and Basic, on the releases API it covers.
Its `ReleaseApi.start` POSTs with no body and no Content-Type, as the product accepts."""

from __future__ import annotations

from com.xebialabs.xlrelease.api.v1.release_api import ReleaseApi
from com.xebialabs.xlrelease.api.v1.template_api import TemplateApi
from com.xebialabs.xlrelease.domain.forms import CreateRelease, StartRelease
from com.xebialabs.xlrelease.release_api_client import ReleaseAPIClient


def test_the_official_client_reads_starts_and_aborts_releases_with_a_pat(served):
    server = served()
    with ReleaseAPIClient(server.base, personal_access_token=server.pat, timeout=10) as client:
        releases = ReleaseApi(client)
        planned, active = server.made["planned"]["id"], server.made["active"]["id"]
        assert {(r.id, r.status) for r in releases.getReleases()} == {
            (planned, "PLANNED"),
            (active, "IN_PROGRESS"),
        }
        found = releases.getRelease(planned)
        assert (found.title, found.phases[0].tasks[0].title) == ("Planned", "Sign off")
        assert [r.id for r in releases.searchReleasesByTitle("Planned")] == [planned]
        assert releases.start(planned).status == "IN_PROGRESS"
        assert releases.abort(active, "Not today").status == "ABORTED"


def test_the_official_client_makes_releases_from_a_template_with_basic(served):
    server = served()
    with ReleaseAPIClient(server.base, server.admin.username, server.admin.password, timeout=10) as client:
        templates = TemplateApi(client)
        [template] = templates.getTemplates()
        assert (template.id, template.status) == (server.made["template"]["id"], "TEMPLATE")
        assert templates.getTemplate(template.id).title == "Deploy"
        made = templates.create(template.id, CreateRelease(releaseTitle="From the client"))
        assert (made.title, made.status, made.originTemplateId) == ("From the client", "PLANNED", template.id)
        started = templates.start(template.id, StartRelease(releaseTitle="Started by the client"))
        assert started.status == "IN_PROGRESS"
        assert ReleaseApi(client).getRelease(started.id).owner == server.admin.username

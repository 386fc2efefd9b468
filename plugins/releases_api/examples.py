"""Request and response examples, shared by the OpenAPI document and docs/api.md."""

from __future__ import annotations

from typing import Any

RELEASE = "Applications/Release3f1c2a9d04b14e4f9a1d6c2b7e8f0a11"
PHASE = f"{RELEASE}/Phase5b2e0c7d1a9f4c3e8d6b0a2f4e1c9d77"
TASK = f"{PHASE}/Task0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
TEMPLATE = "Applications/Release9a8b7c6d5e4f40312a1b0c9d8e7f6a55"

WEBHOOK_TASK_IN: dict[str, Any] = {
    "type": "xlrelease.WebhookTask",
    "title": "Tell the deploy service",
    "url": "${server.url}/api/v1/releases/${release.id}",
    "method": "GET",
    "headers": {"Accept": "application/json"},
    "expectedStatusCodes": [200],
    "timeoutSeconds": 10,
}
CREATE_RELEASE_TASK_IN: dict[str, Any] = {
    "type": "xlrelease.CreateReleaseTask",
    "title": "Create the child release",
    "templateId": TEMPLATE,
    "newReleaseTitle": "Child of ${release.title}",
    "startRelease": True,
    "templateVariables": {"version": "${version}"},
}
TEMPLATE_IN: dict[str, Any] = {
    "title": "Deploy",
    "description": "Build, deploy, announce",
    "tags": ["web"],
    "variables": {"version": "1.0"},
    "scriptUsername": "",
    "scriptUserPassword": "rpa_…",
    "phases": [
        {"title": "Deploy", "tasks": [WEBHOOK_TASK_IN, CREATE_RELEASE_TASK_IN]},
        {"title": "Sign off", "tasks": [{"type": "xlrelease.Task", "title": "Check the site"}]},
    ],
}
TASK_OUT: dict[str, Any] = {
    "id": TASK,
    "type": "xlrelease.WebhookTask",
    "title": "Tell the deploy service",
    "description": "",
    "owner": None,
    "status": "COMPLETED",
    "startDate": "2026-11-28T12:00:00.000Z",
    "endDate": "2026-11-28T12:00:01.250Z",
    "failureReason": None,
    "url": "${server.url}/api/v1/releases/${release.id}",
    "method": "GET",
    "headers": {"Accept": "application/json"},
    "body": "",
    "expectedStatusCodes": [200],
    "timeoutSeconds": 10,
    "authenticate": None,
    "statusCode": 200,
    "responseBody": "{…}",
}
RELEASE_OUT: dict[str, Any] = {
    "id": RELEASE,
    "type": "xlrelease.Release",
    "title": "Deploy 1.4",
    "description": "Build, deploy, announce",
    "owner": "alice",
    "status": "IN_PROGRESS",
    "startDate": "2026-11-28T12:00:00.000Z",
    "endDate": None,
    "dueDate": None,
    "tags": ["web"],
    "variables": [
        {
            "id": f"{RELEASE}/Variable1d2c3b4a",
            "key": "version",
            "value": "1.4",
            "type": "xlrelease.StringVariable",
            "requiresValue": False,
            "showOnReleaseStart": False,
        }
    ],
    "phases": [
        {
            "id": PHASE,
            "type": "xlrelease.Phase",
            "title": "Deploy",
            "description": "",
            "status": "IN_PROGRESS",
            "startDate": "2026-11-28T12:00:00.000Z",
            "endDate": None,
            "tasks": [TASK_OUT],
        }
    ],
    "originTemplateId": TEMPLATE,
    "scriptUsername": "",
    "scriptUserPassword": "********",
    "abortComment": None,
    "createdFromTrigger": False,
}
TEMPLATE_OUT: dict[str, Any] = {
    **RELEASE_OUT,
    "id": TEMPLATE,
    "title": "Deploy",
    "status": "TEMPLATE",
    "startDate": None,
    "originTemplateId": None,
    "phases": [],
}
FROM_TEMPLATE_IN: dict[str, Any] = {
    "releaseTitle": "Deploy 1.4",
    "variables": {"version": "1.4"},
    "autoStart": False,
    "releaseOwner": "alice",
    "scriptUsername": "",
    "scriptUserPassword": "rpa_…",
}
SEARCH_IN: dict[str, Any] = {"title": "deploy", "statuses": ["FAILED"], "active": True}
ABORT_IN: dict[str, Any] = {"abortComment": "Superseded by 1.5"}
TRIGGER_IN: dict[str, Any] = {
    "title": "Deploy main",
    "enabled": True,
    "endpointPath": "github",
    "templateId": TEMPLATE,
    "filter": {"ref": "refs/heads/main", "repository.name": "app"},
    "releaseTitle": "Deploy ${payload.head_commit.id}",
    "variables": {"version": "payload.head_commit.id", "team": "web"},
    "scriptUsername": "",
    "scriptUserPassword": "rpa_…",
}
TRIGGER_OUT: dict[str, Any] = {
    "id": "Trigger7e6d5c4b3a2910f8e7d6c5b4a3928170",
    "type": "xlrelease.WebhookTrigger",
    **{k: v for k, v in TRIGGER_IN.items() if k != "scriptUserPassword"},
    "endpointId": None,
    "scriptUserPassword": "********",
    "owner": "alice",
    "createdDate": "2026-11-28T12:00:00.000Z",
    "updatedDate": "2026-11-28T12:00:00.000Z",
}
EXECUTION_OUT: dict[str, Any] = {
    "triggerId": TRIGGER_OUT["id"],
    "requestId": "42",
    "endpointPath": "github",
    "status": "started",
    "releaseId": RELEASE,
    "reason": f"Started release {RELEASE}.",
    "date": "2026-11-28T12:00:00.000Z",
}

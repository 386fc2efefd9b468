"""Typed settings: `[plugins.tests.sample_plugins.hooks_settings]` parsed once at startup."""

from typing import Annotated

import msgspec

from host import PUBLIC, PluginSettings, Route, hookimpl

PARSED: list = []


class GreeterSettings(PluginSettings):
    greeting: str = "hello"
    repeat: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1
    api_token: str = ""

    def __post_init__(self) -> None:
        PARSED.append(self)
        if self.greeting.strip() != self.greeting:
            raise ValueError("greeting must not start or end with spaces")


class Greet:
    def __init__(self, host):
        self.host = host

    def on_get(self, req, resp):
        settings = self.host.settings(__name__)
        resp.media = {"greeting": " ".join([settings.greeting] * settings.repeat)}


@hookimpl
def register_settings(host):
    return GreeterSettings


@hookimpl
def register_routes(host):
    return [Route("/api/v1/greet", Greet(host), {"GET": PUBLIC})]

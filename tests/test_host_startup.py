"""The host refuses to start, with one clear line, on every plugin mistake it can detect."""

import json
import subprocess
import sys

import pytest

from host import Config, StartupError, create_app
from host.testing import PROJECT_ROOT, TEST_SECRET_KEY

SAMPLES = "tests.sample_plugins"


def build(tmp_path, plugins):
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        secret_key=TEST_SECRET_KEY,
        var_dir=tmp_path / "var",
        enabled_plugins=plugins,
    )
    return create_app(config, context="test")


@pytest.mark.parametrize(
    ("plugin", "expected"),
    [
        ("host_undeclared", "route /api/v1/undeclared declares no permission for POST"),
        ("host_undeclared_method", "route /api/v1/propfind declares no permission for PROPFIND"),
        ("host_own_options", "route /api/v1/own-options declares no permission for OPTIONS"),
        ("host_duplicate_route", "route /api/v1/health is registered twice: by 'host.builtin.health' and by"),
        ("host_unknown_hook", "implements a hook that does not exist"),
        ("host_duplicate_permission", "permission 'risk_profile#edit' is registered twice"),
        ("host_unknown_permission", "requires unknown permission 'relase#view'"),
        ("host_broken_import", "could not be imported: ImportError: a dependency of this plugin is missing"),
    ],
)
def test_plugin_mistakes_stop_startup_naming_the_plugin(tmp_path, plugin, expected):
    with pytest.raises(StartupError) as raised:
        build(tmp_path, [f"{SAMPLES}.{plugin}"])
    message = str(raised.value)
    assert expected in message
    assert "\n" not in message
    if plugin != "host_duplicate_permission":
        assert plugin in message


def test_enabled_plugin_that_is_not_installed_stops_startup(tmp_path):
    with pytest.raises(StartupError, match="plugin 'no_such_plugin' is enabled but not installed"):
        build(tmp_path, ["no_such_plugin"])


def run_cli(tmp_path, plugins, *args):
    conf = tmp_path / "host.toml"
    conf.write_text(
        f'[server]\ndatabase_url = "sqlite:///{tmp_path / "x.db"}"\nsecret_key = "{TEST_SECRET_KEY}"\n'
        f"[plugins]\nenabled = {json.dumps(plugins)}\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "host.cli", "--conf", str(conf), *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )


def test_cli_reports_a_startup_error_on_one_line_and_exits_2(tmp_path):
    result = run_cli(tmp_path, [f"{SAMPLES}.host_undeclared"], "routes")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "declares no permission for POST" in result.stderr
    assert "Traceback" not in result.stderr


def test_routes_command_lists_every_route_with_its_permission(tmp_path):
    result = run_cli(tmp_path, [f"{SAMPLES}.host_echo"], "routes")
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["GET", "/api/v1/health", "PUBLIC", "host.builtin.health"] in lines
    assert ["POST", "/api/v1/echo", "echo#write", f"{SAMPLES}.host_echo"] in lines
    assert ["GET", "/api/v1/whoami", "AUTHENTICATED", f"{SAMPLES}.host_echo"] in lines
    app = build(tmp_path, [f"{SAMPLES}.host_echo"])
    declared = {(m, t) for t, (_, r) in app.host.routes.items() for m in r.access}
    assert declared == {(line[0], line[1]) for line in lines}


PROBE = """
import json, sys
from host import Config, create_app
from host.testing import TEST_SECRET_KEY
config = Config(database_url="sqlite:///{db}", secret_key=TEST_SECRET_KEY, enabled_plugins={plugins})
app = create_app(config, context="test")
import argparse
from host.cli import build_parser
parser = build_parser(app.host)
commands = sorted(parser._subparsers._group_actions[0].choices)
owners = sorted({{plugin for plugin, _ in app.host.routes.values()}})
print(json.dumps({{"modules": sorted(m for m in sys.modules if m.startswith("plugins.")),
    "owners": owners, "permissions": sorted(app.host.permissions), "commands": commands}}))
"""


def probe(tmp_path, plugins):
    code = PROBE.format(db=tmp_path / "p.db", plugins=json.dumps(plugins))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("plugin", ["pat_auth", "releases_api", "webhooks"])
def test_disabled_plugin_is_never_imported_and_adds_nothing(tmp_path, plugin):
    everything = ["pat_auth", "releases_api", "webhooks"]
    enabled = probe(tmp_path, everything)
    without = probe(tmp_path, [p for p in everything if p != plugin])
    assert any(m.startswith(f"plugins.{plugin}") for m in enabled["modules"])
    assert not any(m.startswith(f"plugins.{plugin}") for m in without["modules"])
    assert plugin not in without["owners"]
    assert set(without["permissions"]) <= set(enabled["permissions"])
    assert set(without["commands"]) <= set(enabled["commands"])

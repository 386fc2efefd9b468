"""Issue #11 item 12 (CLI): every mistake an operator can make ends in one clear line and exit 2.

These run the installed `release-host` command itself in a subprocess, as an operator types it.
"""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from host import StartupError, config
from host.testing import PROJECT_ROOT, require

COMMAND = Path(sys.executable).parent / "release-host"


def release_host(*args, cwd, env=None, conf=None, stdin=subprocess.DEVNULL):
    require(COMMAND.exists(), f"{COMMAND} is not installed (pip install -e .)")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RELEASE_HOST_")}
    if conf is not None:
        full_env["RELEASE_HOST_CONF"] = str(conf)
    full_env.update(env or {})
    return subprocess.run(
        [str(COMMAND), *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60, stdin=stdin
    )


def refused(result, message):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr  # argparse adds its usage line


@pytest.fixture
def project(tmp_path, database_url):
    """A project folder as an operator lays it out: conf/host.toml, relative var/, migrated."""
    folder = tmp_path / "project"
    (folder / "conf").mkdir(parents=True)
    conf = folder / "conf" / "host.toml"
    conf.write_text(
        f'[server]\ndatabase_url = "{database_url}"\nbcrypt_rounds = 4\n'
        '[plugins]\nenabled = ["pat_auth", "releases_api"]\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert release_host("migrate", cwd=elsewhere, conf=conf).returncode == 0
    return conf, elsewhere


def test_unset_password_variable_is_named_not_a_traceback(project):
    conf, cwd = project
    refused(
        release_host("users", "create", "carol", "--password-env", "NOT_SET", cwd=cwd, conf=conf),
        "environment variable NOT_SET (--password-env) is not set",
    )
    assert "carol" not in release_host("users", "list", cwd=cwd, conf=conf).stdout


def test_unknown_roles_are_refused_not_created(project):
    conf, cwd = project
    assert release_host("users", "create", "bob", cwd=cwd, conf=conf).returncode == 0
    refused(release_host("users", "grant", "bob", "nosuchrole", cwd=cwd, conf=conf), "no role 'nosuchrole'")
    refused(
        release_host("users", "create", "dave", "--role", "nosuchrole", cwd=cwd, conf=conf),
        "release-host roles create nosuchrole",
    )
    assert "nosuchrole" not in release_host("roles", "list", cwd=cwd, conf=conf).stdout
    assert "dave" not in release_host("users", "list", cwd=cwd, conf=conf).stdout


def test_a_named_configuration_file_must_exist_both_ways(tmp_path):
    missing = tmp_path / "nonexistent.toml"
    refused(
        release_host("--conf", str(missing), "users", "list", cwd=tmp_path),
        f"{missing} (--conf) does not exist",
    )
    refused(
        release_host("users", "list", cwd=tmp_path, conf=missing),
        f"{missing} (RELEASE_HOST_CONF) does not exist",
    )


def test_relative_paths_resolve_at_the_project_folder_not_the_working_directory(tmp_path):
    project = tmp_path / "project"
    (project / "conf").mkdir(parents=True)
    conf = project / "conf" / "host.toml"
    conf.write_text("[server]\nbcrypt_rounds = 4\n[plugins]\nenabled = []\n")  # sqlite:///var/… default
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert release_host("--conf", str(conf), "migrate", cwd=elsewhere).returncode == 0
    created = release_host("--conf", str(conf), "users", "create", "erin", cwd=elsewhere)
    assert created.returncode == 0, created.stderr
    assert (project / "var" / "release-host.db").exists() and (project / "var" / "secret_key").exists()
    assert list(elsewhere.iterdir()) == []
    assert "erin" in release_host("--conf", str(conf), "users", "list", cwd=tmp_path).stdout


def test_without_any_configuration_the_checkout_s_own_is_used_not_the_working_directory(tmp_path):
    shown = release_host("config", "show", cwd=tmp_path, env={"RELEASE_HOST_SECRET_KEY": "k" * 40})
    assert shown.returncode == 0, shown.stderr
    assert f'"source": "{PROJECT_ROOT / "conf" / "host.toml"}"' in shown.stdout
    assert f"sqlite:///{PROJECT_ROOT / 'var'}" in shown.stdout
    assert list(tmp_path.iterdir()) == []


def test_no_configuration_anywhere_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "PACKAGE_CONF", tmp_path / "absent" / "host.toml")
    with pytest.raises(
        StartupError, match="no configuration file: give --conf FILE or set RELEASE_HOST_CONF"
    ):
        config.load_config(env={})


def test_an_unmigrated_database_says_to_migrate(tmp_path, database_url):
    conf = tmp_path / "conf" / "host.toml"
    conf.parent.mkdir()
    conf.write_text(f'[server]\ndatabase_url = "{database_url}"\n[plugins]\nenabled = []\n')
    refused(
        release_host("users", "list", cwd=tmp_path, conf=conf),
        "database not migrated: run `release-host migrate`",
    )


def test_an_unreachable_database_is_one_line(tmp_path):
    conf = tmp_path / "host.toml"
    conf.write_text(
        '[server]\ndatabase_url = "postgresql://nobody@127.0.0.1:9/none"\n[plugins]\nenabled = []\n'
    )
    refused(release_host("users", "list", cwd=tmp_path, conf=conf), "the database is unreachable")


@pytest.mark.parametrize(
    "args",
    [
        ("tokens", "audit", "--limit", "-1"),
        ("tokens", "audit", "--limit", "0"),
        ("tokens", "audit", "--limit", "１"),
        ("tokens", "list", "--limit", "0"),
        ("tokens", "list", "--limit", "100001"),
        ("worker", "--poll", "-1"),
        ("worker", "--poll", "nan"),
        ("serve", "--workers", "0"),
    ],
)
def test_numeric_options_are_validated(project, args):
    conf, cwd = project
    refused(release_host(*args, cwd=cwd, conf=conf), "is not a")


def test_limits_are_applied(project):
    conf, cwd = project
    assert release_host("users", "create", "bob", cwd=cwd, conf=conf).returncode == 0
    for name in ("one", "two"):
        made = release_host("tokens", "create", "--user", "bob", "--name", name, cwd=cwd, conf=conf)
        assert made.returncode == 0, made.stderr
    listed = release_host("tokens", "list", "--limit", "1", cwd=cwd, conf=conf)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 1


def test_interrupt_at_the_password_prompt_is_one_line(project):
    conf, cwd = project
    require(COMMAND.exists(), f"{COMMAND} is not installed (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELEASE_HOST_")}
    terminal, typist = pty.openpty()
    proc = subprocess.Popen(
        [str(COMMAND), "users", "create", "fay", "--password"],
        cwd=cwd,
        env={**env, "RELEASE_HOST_CONF": str(conf)},
        stdin=typist,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # no controlling terminal: getpass prompts on stderr, reads the pty
    )
    os.close(typist)
    try:
        seen = ""
        while "Password:" not in seen:
            char = proc.stderr.read(1)
            assert char, seen
            seen += char
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    finally:
        os.close(terminal)
    assert proc.returncode == 2
    assert "release-host: interrupted" in rest and "Traceback" not in rest


def test_password_prompt_without_a_terminal_is_refused(project):
    conf, cwd = project
    result = release_host("users", "create", "gus", "--password", cwd=cwd, conf=conf)
    refused(result, "--password asks on a terminal and there is none here: use --password-env NAME")


@pytest.mark.parametrize(
    ("bind", "message"),
    [
        ("127.0.0.1:99999", "expected host:port with a port from 1 to 65535"),
        ("127.0.0.1:0", "expected host:port with a port from 1 to 65535"),
        ("127.0.0.1:８０８０", "expected host:port with a port from 1 to 65535"),
        ("notaport", "expected host:port with a port from 1 to 65535"),
        (":5516", "expected host:port with a port from 1 to 65535"),
        ("::1:5516", "an IPv6 address goes in brackets"),
        ("no-such-host.invalid:5516", "cannot serve on 'no-such-host.invalid:5516': "),
    ],
)
def test_a_bad_bind_is_one_line_before_serving(project, bind, message):
    conf, cwd = project
    result = release_host("serve", "--bind", bind, cwd=cwd, conf=conf)
    refused(result, message)
    assert "Serving on" not in result.stdout


@pytest.mark.parametrize("how", ["option", "configuration"])
def test_a_port_in_use_is_one_line_before_serving(project, how):
    conf, cwd = project
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bind = f"127.0.0.1:{taken.getsockname()[1]}"
        if how == "option":
            result = release_host("serve", "--bind", bind, cwd=cwd, conf=conf)
        else:
            result = release_host("serve", cwd=cwd, conf=conf, env={"RELEASE_HOST_BIND": bind})
    refused(result, f"cannot serve on {bind!r}: Address already in use")
    assert "Serving on" not in result.stdout


@pytest.mark.parametrize("address", ["notanip", "999.1.1.1", "10.0.0.0/33", ""])
def test_unblocking_something_that_is_no_address_is_refused(project, address):
    conf, cwd = project
    refused(
        release_host("security", "unblock", address, cwd=cwd, conf=conf),
        f"{address!r} is not an IP address or network",
    )

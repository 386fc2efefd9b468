"""The `release-host` command: serve as the README runs it, migrate, users, plugins."""

import json
import re
import subprocess
import sys

import requests

from host.testing import PROJECT_ROOT, basic_auth, free_port, wait_for_port


def test_serve_creates_admin_prints_password_once_and_serves(tmp_path, database_url):
    conf = tmp_path / "conf" / "host.toml"
    conf.parent.mkdir()
    conf.write_text(
        f'[server]\ndatabase_url = "{database_url}"\nbcrypt_rounds = 4\n[plugins]\nenabled = []\n'
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "host.cli", "--conf", str(conf), "serve", "--bind", f"127.0.0.1:{port}"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Serving on"):
                break
        output = "".join(lines)
        password = re.search(r"Log in as admin with password: (\S+)", output).group(1)
        wait_for_port(port, proc=proc)
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/api/v1/health", timeout=5).json() == {"status": "ok", "database": "ok"}
        profile = requests.get(f"{base}/api/v1/profile", auth=("admin", password), timeout=5)
        assert profile.status_code == 200 and profile.json()["admin"] is True
        assert (tmp_path / "var" / "secret_key").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    log = proc.stdout.read()
    assert password not in log


def test_migrate_twice_is_a_no_op(make_host):
    harness = make_host(plugins=[], migrate=False)
    first = harness.cli("migrate")
    assert first.returncode == 0, first.stderr
    assert "applied migration host.builtin.users:m001_users_and_roles" in first.stdout
    second = harness.cli("migrate")
    assert second.stdout.strip() == "no pending migrations"


def test_users_commands_create_grant_disable(make_host):
    harness = make_host(plugins=[])
    created = harness.cli("users", "create", "carol", "--password-env", "PW", env={"PW": "s3cret-pw"})
    assert created.returncode == 0, created.stderr
    assert harness.call("GET", "/api/v1/profile", headers=basic_auth("carol", "s3cret-pw")).status_code == 200
    harness.cli("users", "grant", "carol", "admin")
    listed = harness.cli("users", "list").stdout
    assert "carol\tinternal\tenabled\tadmin" in listed
    harness.cli("users", "disable", "carol")
    assert harness.call("GET", "/api/v1/profile", headers=basic_auth("carol", "s3cret-pw")).status_code == 401


def test_password_longer_than_72_bytes_is_refused_clearly(make_host):
    harness = make_host(plugins=[])
    result = harness.cli("users", "create", "dave", "--password-env", "PW", env={"PW": "é" * 40})
    assert result.returncode != 0
    assert "longer than 72 bytes" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugins_command_shows_version_location_and_hooks(make_host):
    harness = make_host(plugins=["tests.sample_plugins.host_echo"])
    rows = json.loads(harness.cli("plugins", "--json").stdout)
    echo = next(r for r in rows if r["name"] == "tests.sample_plugins.host_echo")
    assert echo["location"].endswith("host_echo.py")
    assert echo["hooks"] == ["register_permissions", "register_routes"]
    assert any(r["name"] == "host.builtin.users" and r["version"] == "built-in" for r in rows)

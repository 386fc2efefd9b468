"""Files on disk: the data folder and the SQLite database (with its -wal and -shm) are readable by
their owner only, after a real `release-host migrate` and `release-host serve` in a fresh folder."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import requests

from host.testing import PROJECT_ROOT, dump_toml, free_port, stop_process, wait_for_port


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _release_host(conf: Path, *args: str, **popen: object) -> subprocess.Popen:
    env = {**os.environ, "RELEASE_HOST_CONF": str(conf), "RELEASE_HOST_ADMIN_PASSWORD": "admin-pw-123456"}
    env.pop("RELEASE_HOST_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "host.cli", *args],
        env=env,
        cwd=PROJECT_ROOT,
        preexec_fn=lambda: os.umask(0o022),  # the usual umask, under which files are 0644
        **popen,
    )


def _conf(tmp_path: Path) -> tuple[Path, Path]:
    var = tmp_path / "var"
    conf = tmp_path / "host.toml"
    server = {"database_url": f"sqlite:///{var / 'release-host.db'}", "var_dir": str(var), "bcrypt_rounds": 4}
    conf.write_text(dump_toml({"server": server, "plugins": {"enabled": ["pat_auth"]}}), encoding="utf-8")
    return conf, var


def test_migrate_and_serve_keep_var_and_the_database_owner_only(tmp_path):
    conf, var = _conf(tmp_path)
    migrate = _release_host(conf, "migrate", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert migrate.wait(timeout=60) == 0, migrate.stdout.read()
    database = var / "release-host.db"
    assert _mode(var) == 0o700
    assert _mode(database) == 0o600
    assert _mode(var / "secret_key") == 0o600

    port = free_port()
    with open(tmp_path / "serve.log", "wb") as log:
        server = _release_host(conf, "serve", "--bind", f"127.0.0.1:{port}", stdout=log, stderr=log)
    try:
        wait_for_port(port, proc=server)
        answer = requests.post(
            f"http://127.0.0.1:{port}/api/v1/personal-access-tokens",
            json={"tokenNote": "made while serving"},
            auth=("admin", "admin-pw-123456"),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        for name in ("release-host.db", "release-host.db-wal", "release-host.db-shm"):
            assert _mode(var / name) == 0o600, name
    finally:
        stop_process(server)
    assert _mode(database) == 0o600


def test_database_files_left_readable_by_an_older_version_are_tightened(tmp_path):
    conf, var = _conf(tmp_path)
    assert _release_host(conf, "migrate", stdout=subprocess.DEVNULL).wait(timeout=60) == 0
    database = var / "release-host.db"
    database.chmod(0o644)
    assert _release_host(conf, "migrate", stdout=subprocess.DEVNULL).wait(timeout=60) == 0
    assert _mode(database) == 0o600

"""Configuration: the file, environment overrides, `{env = ...}` values, redaction, secret key."""

import json
import subprocess
import sys

import pytest

from host import StartupError, load_config
from host.config import REDACTED, ensure_secret_key
from host.testing import PROJECT_ROOT

CONF = """
[server]
bind = "127.0.0.1:6000"
database_url = "postgresql://release:dbpass@db.internal/release"
secret_key = {env = "MY_KEY"}

[plugins]
enabled = ["pat_auth"]

[plugins.pat_auth]
max_tokens_per_user = 5

[plugins.webhooks]
shared_secret = "hunter2"
"""


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "conf" / "host.toml"
    path.parent.mkdir()
    path.write_text(CONF)
    return path


def test_file_values_env_tables_and_plugin_tables(conf):
    config = load_config(conf, env={"MY_KEY": "k-from-env"})
    assert config.bind == "127.0.0.1:6000"
    assert config.secret_key == "k-from-env"
    assert config.enabled_plugins == ["pat_auth"]
    assert config.plugin("pat_auth") == {"max_tokens_per_user": 5}
    assert config.plugin("absent") == {}


def test_environment_overrides_the_file(conf):
    config = load_config(
        conf,
        env={
            "MY_KEY": "x",
            "RELEASE_HOST_DATABASE_URL": "sqlite:////tmp/o.db",
            "RELEASE_HOST_SECRET_KEY": "y",
        },
    )
    assert config.database_url == "sqlite:////tmp/o.db"
    assert config.secret_key == "y"


def test_conf_path_from_environment(conf):
    config = load_config(env={"RELEASE_HOST_CONF": str(conf), "MY_KEY": "x"})
    assert config.source == conf


def test_missing_env_variable_is_a_startup_error_naming_it(conf):
    with pytest.raises(StartupError, match="server.secret_key names environment variable MY_KEY"):
        load_config(conf, env={})


def test_invalid_toml_is_a_startup_error(tmp_path):
    bad = tmp_path / "host.toml"
    bad.write_text("[server\n")
    with pytest.raises(StartupError, match="is not valid TOML"):
        load_config(bad, env={})


def test_relative_sqlite_path_is_anchored_at_the_project_folder(tmp_path):
    path = tmp_path / "conf" / "host.toml"
    path.parent.mkdir()
    path.write_text('[server]\ndatabase_url = "sqlite:///var/x.db"\n')
    assert load_config(path, env={}).database_url == f"sqlite:///{tmp_path}/var/x.db"


def test_redaction_hides_every_secret(conf):
    shown = load_config(conf, env={"MY_KEY": "k-from-env"}).redacted()
    text = json.dumps(shown)
    for secret in ("k-from-env", "dbpass", "hunter2"):
        assert secret not in text
    assert shown["secret_key"] == REDACTED
    assert shown["plugins"]["webhooks"]["shared_secret"] == REDACTED
    assert shown["database_url"] == f"postgresql://release:{REDACTED}@db.internal/release"
    assert shown["plugins"]["pat_auth"]["max_tokens_per_user"] == 5


def test_password_in_the_database_url_query_is_redacted(tmp_path):
    path = tmp_path / "host.toml"
    path.write_text('[server]\ndatabase_url = "postgresql://u@db/x?sslmode=require&password=pw-in-query"\n')
    shown = load_config(path, env={}).redacted()["database_url"]
    assert shown == f"postgresql://u@db/x?sslmode=require&password={REDACTED}"


def test_config_show_command_is_redacted(conf):
    result = subprocess.run(
        [sys.executable, "-m", "host.cli", "--conf", str(conf), "config", "show"],
        env={"MY_KEY": "k-from-env", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "k-from-env" not in result.stdout and "dbpass" not in result.stdout
    assert json.loads(result.stdout)["bind"] == "127.0.0.1:6000"


def test_production_without_secret_key_refuses_to_start(tmp_path):
    path = tmp_path / "host.toml"
    path.write_text("[server]\nproduction = true\n")
    with pytest.raises(StartupError, match="no secret key"):
        ensure_secret_key(load_config(path, env={}))


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    path = tmp_path / "conf" / "host.toml"
    path.parent.mkdir()
    path.write_text("[server]\n")
    first = ensure_secret_key(load_config(path, env={}))
    second = ensure_secret_key(load_config(path, env={}))
    assert first == second and len(first) >= 40
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600


KEY_RACE = """
import sys
from pathlib import Path
from host.config import Config, ensure_secret_key
print(ensure_secret_key(Config(var_dir=Path(sys.argv[1]))))
"""


def test_workers_starting_together_agree_on_one_generated_key(tmp_path):
    for attempt in range(5):
        var = tmp_path / f"var{attempt}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", KEY_RACE, str(var)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        outputs = [proc.communicate(timeout=60) for proc in procs]
        assert all(proc.returncode == 0 for proc in procs), [err for _, err in outputs]
        keys = {out.strip() for out, _ in outputs}
        assert len(keys) == 1 and len(keys.pop()) >= 40

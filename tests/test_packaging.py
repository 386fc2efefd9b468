"""What installing the project gives: the wheel's contents, optional dependencies that say how to
get them, and a README that documents every environment variable the code reads."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

import pytest
import setuptools

from host import StartupError
from host.config import Config
from host.plugins import make_plugin_manager
from host.testing import PROJECT_ROOT, TEST_SECRET_KEY

ENV_NAME = re.compile(r"\bRELEASE_HOST_[A-Z0-9_]+\b")
CODE_DIRS = ("host", "plugins", "bench", "conf", "tests", "examples")


def test_without_ldap3_enabling_ldap_auth_says_what_to_install(monkeypatch):
    for name in [n for n in sys.modules if n == "plugins.ldap_auth" or n.startswith("plugins.ldap_auth.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ldap3", None)  # what `import ldap3` sees when it is absent
    config = Config(
        database_url="sqlite:///:memory:", secret_key=TEST_SECRET_KEY, enabled_plugins=["ldap_auth"]
    )
    with pytest.raises(StartupError) as refused:
        make_plugin_manager(config)
    assert str(refused.value) == (
        "plugin 'ldap_auth' needs the ldap3 library, which is not installed: "
        "python3 -m pip install 'release-host[ldap]'"
    )


def test_the_wheel_ships_the_host_and_plugins_but_not_the_benchmark():
    """The packages setuptools puts in the wheel, found as it finds them from pyproject.toml (a real
    `pip wheel` needs a fresh setuptools downloaded in an isolated build: too slow for here)."""
    found = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = found["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = setuptools.find_packages(where=str(PROJECT_ROOT), include=include)
    tops = {name.split(".")[0] for name in packages}
    assert tops == {"host", "plugins"}, tops
    assert {"host.builtin", "plugins.pat_auth", "plugins.ldap_auth"} <= set(packages)


def env_names_in_code() -> dict[str, str]:
    """RELEASE_HOST_* name → the first file whose code (a string constant) names it."""
    found: dict[str, str] = {}
    for top in CODE_DIRS:
        for path in sorted((PROJECT_ROOT / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for name in ENV_NAME.findall(node.value):
                        found.setdefault(name, str(path.relative_to(PROJECT_ROOT)))
    return found


def env_names_in_readme() -> set[str]:
    """The names in the first column of the README's table of environment variables."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(RELEASE_HOST_[A-Z0-9_]+)` \|", text, flags=re.MULTILINE)
    assert rows, "README.md has no table of environment variables (rows `| `RELEASE_HOST_…` | … |`)"
    return set(rows)


def test_the_readme_documents_every_environment_variable_the_code_reads():
    code, readme = env_names_in_code(), env_names_in_readme()
    assert {"RELEASE_HOST_WORKERS", "RELEASE_HOST_PRODUCTION", "RELEASE_HOST_CONF"} <= set(code)
    missing = [f"{name} (read in {where})" for name, where in sorted(code.items()) if name not in readme]
    assert not missing, "add to the environment variable table of README.md: " + ", ".join(missing)
    stale = sorted(readme - set(code))
    assert not stale, f"README.md documents environment variables no code reads: {', '.join(stale)}"

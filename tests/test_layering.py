"""The layering rules, checked on our own code: every plugin under `plugins/` imports only the
public names of `host`, its own modules and declared libraries, never another plugin; and
`host/` names no plugin: not its package, not the URLs its routes answer, not the permissions
it checks. (The example plugin has the same import test in its own tests.)

"Names" means code and markup: string constants outside docstrings, imports, templates and
static files. Docstrings may mention a plugin as an example; they change no behaviour.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

import host
from host.app import create_app
from host.config import Config
from host.testing import PROJECT_ROOT, TEST_SECRET_KEY

PLUGINS_DIR = PROJECT_ROOT / "plugins"
HOST_DIR = PROJECT_ROOT / "host"
PLUGINS = sorted(p.name for p in PLUGINS_DIR.iterdir() if (p / "__init__.py").exists())
PERMISSION_NAME = re.compile(r"^[a-z_]+#[a-z_]+$")
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def imports(tree: ast.AST) -> Iterator[tuple[int, str, list[str], int]]:
    """(level, module, names, line) of every import statement, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or "", [a.name for a in node.names], node.lineno


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings (module, class, function, attribute)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for index, statement in enumerate(body):
            is_first = index == 0 and isinstance(
                node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
            )
            follows_assignment = index > 0 and isinstance(body[index - 1], ast.Assign | ast.AnnAssign)
            if (
                (is_first or follows_assignment)
                and isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                found.add(id(statement.value))
    return found


def strings(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant of a module that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def declared_distributions() -> set[str]:
    """Distributions pyproject.toml declares, in `dependencies` or any extra."""
    project = PYPROJECT["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    return {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in specs}


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_plugin_imports_only_public_host_names_its_own_modules_and_declared_libraries(plugin):
    public = set(host.__all__)
    declared = declared_distributions()
    distributions = packages_distributions()
    problems = []
    for path in sources(PLUGINS_DIR / plugin):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for level, module, names, line in imports(tree):
            where = f"{path.relative_to(PROJECT_ROOT)}:{line}: {'.' * level}{module}"
            top = module.split(".")[0]
            if level or module == f"plugins.{plugin}" or module.startswith(f"plugins.{plugin}."):
                continue
            if top == "plugins":
                problems.append(f"{where} imports another plugin")
            elif top == "host":
                if module != "host" or not names:
                    problems.append(f"{where}: use `from host import …`, not a host submodule")
                elif set(names) - public:
                    problems.append(
                        f"{where} imports names host does not export: {sorted(set(names) - public)}"
                    )
            elif top not in sys.stdlib_module_names:
                owners = {d.lower().replace("_", "-") for d in distributions.get(top, [])}
                if not owners & declared:
                    problems.append(f"{where}: {top} is not a dependency declared in pyproject.toml")
    assert not problems, "\n".join(problems)


def test_host_imports_only_declared_libraries():
    declared = declared_distributions()
    distributions = packages_distributions()
    problems = []
    for path in sources(HOST_DIR):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for level, module, _, line in imports(tree):
            top = module.split(".")[0]
            if level or top == "host" or top in sys.stdlib_module_names:
                continue
            owners = {d.lower().replace("_", "-") for d in distributions.get(top, [])}
            if not owners & declared:
                problems.append(
                    f"{path.relative_to(PROJECT_ROOT)}:{line}: {top} is not declared in pyproject.toml"
                )
    assert not problems, "\n".join(problems)


def plugin_names() -> dict[str, str]:
    """What names a first-party plugin, as text host/ must not contain → the plugin it names.

    Package and entry-point names; the URL prefixes of its routes (the static part before the
    first `{`, unless a host route shares it, as `/api/v1` is shared); and the permission
    names its code spells.
    """
    names = {plugin: plugin for plugin in PLUGINS}
    names.update({ep: ep for ep in PYPROJECT["project"]["entry-points"]["release_host.plugins"]})
    for plugin in PLUGINS:
        for path in sources(PLUGINS_DIR / plugin):
            for _, text in strings(path):
                if PERMISSION_NAME.match(text):
                    names[text] = plugin
    for template, plugin in routes_by_plugin().items():
        if not plugin.startswith("host."):
            names[template.split("{")[0]] = plugin
    host_templates = [t for t, plugin in routes_by_plugin().items() if plugin.startswith("host.")]
    return {
        name: plugin
        for name, plugin in names.items()
        if name.strip("/") and not any(t.startswith(name) for t in host_templates)
    }


_routes: dict[str, str] = {}


def routes_by_plugin() -> dict[str, str]:
    """Route template → the plugin that declares it, with every first-party plugin enabled."""
    if not _routes:
        config = Config(
            database_url="sqlite:///:memory:",
            secret_key=TEST_SECRET_KEY,
            enabled_plugins=list(PYPROJECT["project"]["entry-points"]["release_host.plugins"]),
            plugin_settings={
                "ldap_auth": {"url": "ldap://127.0.0.1:9", "user_dn_template": "uid={username},dc=x"},
                "releases_api": {"run_worker": False},
                "oidc_auth": {
                    "issuer": "https://id.example.org",
                    "client_id": "release-host",
                    "client_secret": "not-a-real-secret",
                    "redirect_uri": "https://release.example.org/oidc/callback",
                },
            },
        )
        app = create_app(config, context="test")
        try:
            _routes.update({template: plugin for template, (plugin, _) in app.host.routes.items()})
        finally:
            app.host.shutdown()
    return _routes


def host_texts() -> Iterator[tuple[str, str]]:
    """(where, text) for everything in host/ that is code or markup."""
    for path in sources(HOST_DIR):
        rel = path.relative_to(PROJECT_ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for _, module, names, line in imports(tree):
            yield f"{rel}:{line}", " ".join([module, *names])
        for line, text in strings(path):
            yield f"{rel}:{line}", text
    for path in sorted((HOST_DIR / "templates").rglob("*")) + sorted((HOST_DIR / "static").rglob("*")):
        if path.is_file() and path.suffix in {".html", ".js", ".css"}:
            yield str(path.relative_to(PROJECT_ROOT)), path.read_text(encoding="utf-8")


def test_the_names_looked_for_include_each_kind():
    """Guards the test below against finding nothing because it looks for nothing."""
    names = plugin_names()
    assert {"pat_auth", "releases_api", "webhooks", "ldap_auth"} <= set(names)
    assert names["/api/v1/personal-access-tokens"] == "pat_auth"
    assert names["/webhooks/"] == "webhooks"
    assert names["template#edit"] == "releases_api"
    assert "/api/v1" not in names and "/" not in names, "prefixes the host shares are not a plugin's"


def test_host_names_no_plugin():
    names = plugin_names()
    problems = [
        f"{where} names {name!r} ({plugin})"
        for where, text in host_texts()
        for name, plugin in names.items()
        if name in text
    ]
    assert not problems, "\n".join(problems)

"""The plugin is built on the public contract only: it imports `host`'s exported names, never a
`host.` submodule and never another plugin's internals (`plugins.*`)."""

from __future__ import annotations

import ast
from pathlib import Path

import host

PACKAGE = Path(__file__).resolve().parent.parent / "release_host_token_ip_allowlist"
TESTS = Path(__file__).resolve().parent
STDLIB_AND_OWN = {"__future__", "argparse", "functools", "ipaddress", "sys", "typing", "collections"}


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(level, module, names) for every import statement of a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((0, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or "", [alias.name for alias in node.names]))
    return found


def test_the_package_imports_only_public_host_names():
    public = set(host.__all__)
    files = sorted(PACKAGE.glob("*.py"))
    assert files
    for path in files:
        for level, module, names in imports(path):
            where = f"{path.name}: {'.' * level}{module}"
            if level:
                continue  # the package's own modules
            top = module.split(".")[0]
            assert top != "plugins", f"{where} reaches into another plugin"
            if top == "host":
                assert module == "host", f"{where} imports a host submodule"
                private = sorted(set(names) - public)
                assert not private, f"{where} imports names host does not export: {private}"
            else:
                assert top in STDLIB_AND_OWN | {"falcon", "peewee"}, f"{where} is an unexpected import"
        # `import host` then `host.users…` would dodge the checks above; `host` is the hook argument
        assert (0, "host", []) not in imports(path), f"{path.name}: use `from host import …`"


def test_the_tests_use_only_fixtures_and_the_package():
    for path in sorted(TESTS.glob("test_*.py")):
        for level, module, _ in imports(path):
            top = module.split(".")[0]
            assert not level
            assert top != "plugins", f"{path.name}: {module}"
            assert module in {"host"} or not module.startswith("host."), f"{path.name}: {module}"

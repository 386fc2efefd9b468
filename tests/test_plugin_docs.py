"""Meta-tests: the plugin contract (`host/hookspecs.py`) stays documented and tested hook by hook.

Adding a hook spec without a `docs/plugins.md` section headed by its exact signature, or without a
test function named `test_hook_<name>…`, fails here.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pluggy
import pytest

from host import hookspecs
from host.plugins import PROJECT

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins.md"
TEST_TREES = [ROOT / "tests", *sorted((ROOT / "examples").glob("*/tests"))]
HEADING = re.compile(r"^###\s+`(?P<name>\w+)\((?P<args>[^)]*)\)`\s*$", re.MULTILINE)


def hook_specs() -> dict[str, Callable]:
    """Every hook spec, as the host's plugin manager sees `host/hookspecs.py`."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    return {name: caller.spec.function for name, caller in vars(pm.hook).items() if caller.spec}


def documented_signatures() -> dict[str, list[str]]:
    """`### `name(arg, arg)`` headings of docs/plugins.md: hook name → argument names."""
    text = DOCS.read_text(encoding="utf-8")
    return {m["name"]: [a.strip() for a in m["args"].split(",") if a.strip()] for m in HEADING.finditer(text)}


def hook_test_names() -> set[str]:
    """Names of every test function starting with `test_hook_` under the test trees."""
    names = set()
    for tree in TEST_TREES:
        for path in tree.rglob("test_*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                    "test_hook_"
                ):
                    names.add(node.name)
    return names


SPECS = hook_specs()


def test_the_contract_has_hooks():
    assert len(SPECS) >= 10, "hook specs not found: is the marker still `release_host`?"


@pytest.mark.parametrize("hook", sorted(SPECS))
def test_every_hook_is_documented_with_its_exact_signature(hook):
    documented = documented_signatures()
    expected = list(inspect.signature(SPECS[hook]).parameters)
    signature = f"{hook}({', '.join(expected)})"
    assert hook in documented, f"docs/plugins.md has no section headed ### `{signature}`"
    assert documented[hook] == expected, (
        f"docs/plugins.md documents `{hook}({', '.join(documented[hook])})`, the spec is `{signature}`"
    )


def test_every_documented_hook_exists():
    stale = sorted(set(documented_signatures()) - set(SPECS))
    assert not stale, f"docs/plugins.md documents hooks that host/hookspecs.py does not have: {stale}"


@pytest.mark.parametrize("hook", sorted(SPECS))
def test_every_hook_has_a_test_named_after_it(hook):
    names = hook_test_names()
    assert any(name == f"test_hook_{hook}" or name.startswith(f"test_hook_{hook}_") for name in names), (
        f"no test function named test_hook_{hook} (or test_hook_{hook}_…) in tests/ or examples/*/tests/"
    )


def test_every_public_name_of_host_is_documented():
    """What plugins may import is what the docs explain: `host.__all__` against the names table."""
    import host

    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## The public names of `host`") :]
    missing = sorted(name for name in host.__all__ if f"`{name}" not in section)
    assert not missing, f"docs/plugins.md, 'The public names of `host`', does not mention: {missing}"

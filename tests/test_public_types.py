"""The public names of `host/__init__.py` are fully typed: every parameter and every return of
each function, and of each public method of each class (mypy checks the bodies: pyproject.toml)."""

from __future__ import annotations

import inspect

import host


def _untyped(function: object, where: str) -> list[str]:
    try:
        signature = inspect.signature(function)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return []
    found = [
        f"{where}({name})"
        for name, parameter in signature.parameters.items()
        if name not in ("self", "cls") and parameter.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty and not where.endswith("__init__"):
        found.append(f"{where} -> ?")
    return found


def test_every_public_function_and_method_of_the_host_is_annotated():
    missing: list[str] = []
    for name in host.__all__:
        value = getattr(host, name)
        if inspect.isfunction(value):
            missing += _untyped(value, name)
        elif inspect.isclass(value) and value.__module__.startswith("host."):
            for attribute, member in vars(value).items():
                if inspect.isfunction(member) and (not attribute.startswith("_") or attribute == "__init__"):
                    missing += _untyped(member, f"{name}.{attribute}")
    assert not missing, missing

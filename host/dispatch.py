"""The per-request hooks called without pluggy's per-call machinery.

`actor_from_request`, `validate_actor` and `permission_allowed` run on every protected request.
pluggy's `hook(...)` builds its call stack anew each time (wrappers, the result list, tracing),
several µs per call. A `Chain` resolves a hook's implementations once, in pluggy's own call
order, and calls them directly with the arguments each names; it resolves them again whenever
a plugin is registered or unregistered (`HostPluginManager.generation`). A hook that has a
wrapper implementation, or a manager that does not count its changes, goes through pluggy as
before, so the contract (order, firstresult, exceptions) is pluggy's in every case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy


class HostPluginManager(pluggy.PluginManager):
    """A `PluginManager` that counts its registrations, so resolved hook chains know when to
    resolve again."""

    generation = 0

    def register(self, plugin: object, name: str | None = None) -> str | None:
        self.generation += 1
        return super().register(plugin, name)

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        self.generation += 1
        return super().unregister(plugin, name)


Impl = tuple[Callable[..., Any], tuple[str, ...]]


class Chain:
    """One hook, called the way pluggy calls it (last registered first, tryfirst/trylast
    honoured, None answers dropped) from implementations resolved once per generation."""

    def __init__(self, pm: pluggy.PluginManager, name: str) -> None:
        self.pm = pm
        self.caller = getattr(pm.hook, name)
        self._generation = -1
        self._impls: list[Impl] | None = None

    def _resolved(self) -> list[Impl] | None:
        generation = getattr(self.pm, "generation", None)
        if generation is None:
            return None
        if generation != self._generation:
            found = self.caller.get_hookimpls()
            wrapped = any(impl.hookwrapper or impl.wrapper for impl in found)
            self._impls = None if wrapped else [(i.function, tuple(i.argnames)) for i in reversed(found)]
            self._generation = generation
        return self._impls

    def all(self, **arguments: Any) -> list[Any]:
        """Every implementation's answer that is not None, in call order."""
        impls = self._resolved()
        if impls is None:
            return self.caller(**arguments)
        answers = []
        for function, names in impls:
            answer = function(*[arguments[name] for name in names])
            if answer is not None:
                answers.append(answer)
        return answers

    def first(self, **arguments: Any) -> Any:
        """The first answer that is not None (a `firstresult` hook)."""
        impls = self._resolved()
        if impls is None:
            return self.caller(**arguments)
        for function, names in impls:
            answer = function(*[arguments[name] for name in names])
            if answer is not None:
                return answer
        return None

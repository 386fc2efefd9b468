"""host/dispatch.py: the per-request hooks called directly answer exactly as pluggy would."""

from __future__ import annotations

import pluggy
import pytest

from host.dispatch import Chain, HostPluginManager

spec = pluggy.HookspecMarker("t")
impl = pluggy.HookimplMarker("t")


class Spec:
    @spec
    def ask(self, host, actor): ...

    @spec(firstresult=True)
    def who(self, req): ...


def plugin(name, answer, **marks):
    class Plugin:
        @impl(**marks)
        def ask(self, host, actor):
            return (name, answer, host, actor)

        @impl(**marks)
        def who(self, req):
            return answer

    return Plugin()


@pytest.fixture
def pm():
    manager = HostPluginManager("t")
    manager.add_hookspecs(Spec)
    manager.register(plugin("a", 1, trylast=True), name="a")
    manager.register(plugin("b", None), name="b")
    manager.register(plugin("c", 3, tryfirst=True), name="c")
    manager.register(plugin("d", 4), name="d")
    return manager


def test_answers_and_order_are_pluggys(pm):
    assert Chain(pm, "ask").all(host="h", actor="x") == pm.hook.ask(host="h", actor="x")
    assert Chain(pm, "who").first(req=1) == pm.hook.who(req=1) == 3


def test_a_plugin_registered_or_unregistered_later_is_seen_on_the_next_call(pm):
    chain = Chain(pm, "ask")
    chain.all(host="h", actor="x")
    pm.register(plugin("e", 5, tryfirst=True), name="e")
    assert chain.all(host="h", actor="x")[0][0] == "e"
    pm.unregister(name="e")
    assert [answer[0] for answer in chain.all(host="h", actor="x")] == ["c", "d", "b", "a"]


def test_a_wrapper_goes_through_pluggy(pm):
    class Wrapper:
        @impl(wrapper=True)
        def ask(self, host, actor):
            answers = yield
            return [*answers, "wrapped"]

    pm.register(Wrapper(), name="w")
    assert Chain(pm, "ask").all(host="h", actor="x")[-1] == "wrapped"


def test_exceptions_reach_the_caller(pm):
    class Refuses:
        @impl(tryfirst=True)
        def who(self, req):
            raise PermissionError("no")

    pm.register(Refuses(), name="r")
    with pytest.raises(PermissionError):
        Chain(pm, "who").first(req=1)

"""Links in the user menu, contributed by plugins."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NavLink:
    """A menu entry; lower `order` comes first."""

    label: str
    href: str
    order: int = 100


@dataclass(frozen=True)
class LoginOption:
    """A way to sign in that the login page offers beside its form ("Sign in with …"): a plain link
    (GET) to a route of the plugin, which then runs its own flow and calls `start_session`."""

    label: str
    href: str
    order: int = 100

"""Links in the user menu, contributed by plugins."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NavLink:
    """A menu entry; lower `order` comes first."""

    label: str
    href: str
    order: int = 100

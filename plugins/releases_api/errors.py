"""What the plugin's operations refuse with; the API turns them into 400, 403, 404, 409 and 429."""

from __future__ import annotations


class ReleaseError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(ReleaseError):
    """A request body or value is wrong; the message names the field (400)."""


class Forbidden(ReleaseError):
    """The caller may not do this with someone else's stored credentials (403)."""


class NotFound(ReleaseError):
    """No such release, template, task or trigger (404)."""


class Conflict(ReleaseError):
    """Not allowed in the object's current state, such as starting a completed release (409)."""


class Busy(ReleaseError):
    """A rate limit was reached; the same call later may succeed (429)."""

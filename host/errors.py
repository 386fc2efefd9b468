"""Errors that plugins raise and the host turns into answers."""


class StartupError(Exception):
    """The host refuses to start; the message is one line naming the culprit."""


class AuthenticationFailed(Exception):
    """Credentials were presented and are wrong: 401 at once, no later authenticator is asked."""

    def __init__(self, message: str = "Invalid credentials.", reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # one lowercase word for metrics (`expired`, `deleted`, …), never a secret

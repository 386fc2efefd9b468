"""Not a plugin: the host's gunicorn worker with short timeouts, so tests of them run in seconds."""

from host.gunicorn_worker import HeaderBufferingWorker


class QuickWorker(HeaderBufferingWorker):
    header_timeout = 2.0
    body_timeout = 2.0

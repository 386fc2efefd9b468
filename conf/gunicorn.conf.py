"""gunicorn settings read from the host configuration; nothing here touches the database."""

import glob
import os

from host import logsafe
from host.config import load_config

logsafe.install()  # gunicorn's access and error logs too: a request cannot forge a log line
_config = load_config()

bind = os.environ.get("RELEASE_HOST_BIND", _config.bind)
workers = int(os.environ.get("RELEASE_HOST_WORKERS", _config.workers))
# gthread whose connections take a thread only once their headers are in (docs/deployment.md);
# RELEASE_HOST_WORKER_CLASS=sync is the old model, for the benchmark's comparison.
worker_class = os.environ.get("RELEASE_HOST_WORKER_CLASS", "host.gunicorn_worker.HeaderBufferingWorker")
threads = 1 if worker_class == "sync" else _config.threads  # sync with threads > 1 is gthread
keepalive = 5
preload_app = False
timeout = 60
graceful_timeout = 20
# `[logging] format = "json"`: gunicorn's logs as JSON too, and the host's own per-request record
# (host/jsonlog.py) instead of the access log.
if _config.log_format == "json":
    from host.jsonlog import logconfig as json_logging  # not `logconfig`: a gunicorn setting

    logconfig_dict = json_logging()
    accesslog = None
else:
    accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'
limit_request_field_size = 16384

# Metrics (host/metrics.py): each worker writes its counters to files here, a scrape adds them up.
# Set before any worker imports prometheus_client; one folder per host (it lives in its var/).
METRICS_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_config.var_dir / "metrics"))


def on_starting(server):
    """Counters of a previous run's workers are dropped: the server's counters start at zero."""
    os.makedirs(METRICS_DIR, mode=0o700, exist_ok=True)
    for old in glob.glob(os.path.join(METRICS_DIR, "*.db")):
        os.unlink(old)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    app = getattr(worker, "wsgi", None)
    host = getattr(app, "host", None)
    if host is not None:
        host.shutdown()

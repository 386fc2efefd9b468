"""The peer the benchmark measures beside us: Django REST framework + django-rest-knox.

`python -m bench --peer` (and the full run) installs them from PyPI into a throwaway virtual
environment under the run's temporary folder (they are no dependency of this project), writes a
minimal project with the same two routes as `bench.plugin` (`/bench/public`, AllowAny, and
`/bench/protected`, IsAuthenticated through knox's hashed tokens), seeds as many knox tokens as
our table holds, and runs it under gunicorn with our worker count, threads and keep-alive.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import gunicorn

from bench.server import children, cpu_by_pid
from host.testing.components import free_port, wait_for_port

PACKAGES = ["django>=5,<6", "djangorestframework>=3.15,<4", "django-rest-knox>=5,<6"]
HEADER = "Authorization"

SETTINGS = """
from pathlib import Path
HERE = Path(__file__).resolve().parent
SECRET_KEY = "bench-peer-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "knox"]
# what a DRF API keeps of startproject's list without sessions: security headers, common
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(HERE.parent / "peer.db"),
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["knox.auth.TokenAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
"""

URLS = """
from django.urls import path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class Public(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


class Protected(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/public", Public.as_view()), path("bench/protected", Protected.as_view())]
"""

WSGI = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
"""

# Run inside the peer's venv: grow knox's token table to SIZE (20 tokens per user, one in five
# without expiry, like bench.pat), then print one valid token of the bench user as JSON.
SEED = """
import json, os, sys
from datetime import timedelta
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
import django
django.setup()
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken, get_digest_token
from knox.settings import CONSTANTS

size = int(sys.argv[1])
now = timezone.now()
bench, _ = User.objects.get_or_create(username="bench")
have = AuthToken.objects.count()
per_user = 20
while have < size:
    batch = min(50_000, size - have)
    with transaction.atomic():
        first = User.objects.count()
        users = User.objects.bulk_create(
            [User(username=f"peer-user-{first + i:07d}", password="!") for i in range(-(-batch // per_user))]
        )
        rows = []
        for i in range(batch):
            digest, token = get_digest_token()
            expiry = None if (have + i) % 5 == 0 else now + timedelta(days=365)
            rows.append(AuthToken(digest=digest, token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH],
                                  user=users[i // per_user], expiry=expiry))
        AuthToken.objects.bulk_create(rows, batch_size=5000)
    have += batch
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
_, token = AuthToken.objects.create(user=bench, expiry=timedelta(days=30))
print(json.dumps({"token": token, "count": AuthToken.objects.count()}))
"""


class Peer:
    """Django REST framework + knox in its own venv and gunicorn, on a free loopback port."""

    def __init__(self, folder: Path, workers: int, threads: int) -> None:
        self.folder = folder
        self.workers = workers
        self.threads = threads
        self.venv = folder / "venv"
        self.python = self.venv / "bin" / "python"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.token = ""
        self.versions = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def headers(self) -> dict[str, str]:
        return {HEADER: f"Token {self.token}"}

    def install(self) -> None:
        """A throwaway venv with the peer's packages (PyPI, through pip's configuration) and our
        gunicorn version, then its project and migrated database."""
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, timeout=300)
        packages = [*PACKAGES, f"gunicorn=={gunicorn.__version__}"]
        subprocess.run(
            [str(self.python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
            check=True,
            timeout=600,
            capture_output=True,
        )
        project = self.folder / "peer"
        project.mkdir(parents=True, exist_ok=True)
        for name, text in {"__init__": "", "settings": SETTINGS, "urls": URLS, "wsgi": WSGI}.items():
            (project / f"{name}.py").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        (self.folder / "seed_peer.py").write_text(textwrap.dedent(SEED).lstrip(), encoding="utf-8")
        self._django("migrate", "-v", "0")
        found = self._run(
            "-c",
            "import django, rest_framework, knox; print(django.__version__, "
            "rest_framework.__version__, getattr(knox, '__version__', ''))",
        )
        self.versions = "django {}, djangorestframework {}, django-rest-knox {}".format(
            *found.split() + ["?"] * 3
        )

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.python), *args],
            cwd=self.folder,
            check=True,
            timeout=1800,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def _django(self, *args: str) -> None:
        self._run(
            "-c",
            "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'peer.settings'; "
            "from django.core.management import execute_from_command_line; "
            f"execute_from_command_line(['manage', *{list(args)!r}])",
        )

    def grow(self, size: int) -> int:
        """knox's table to `size` tokens (+ the bench user's); a fresh valid token to call with."""
        found = json.loads(self._run(str(self.folder / "seed_peer.py"), str(size)).splitlines()[-1])
        self.token = found["token"]
        return int(found["count"])

    def start(self) -> None:
        log = open(self.folder / "gunicorn.log", "ab")  # noqa: SIM115 - kept for the server's life
        self.proc = subprocess.Popen(
            [
                str(self.venv / "bin" / "gunicorn"),
                "--no-control-socket",
                "-w",
                str(self.workers),
                "-k",
                "gthread",
                "--threads",
                str(self.threads),
                "--keep-alive",
                "5",
                "--access-logfile",
                "-",
                "-b",
                f"127.0.0.1:{self.port}",
                "peer.wsgi:application",
            ],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for_port(self.port, timeout=60, proc=self.proc)

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def cpu(self) -> dict[int, float]:
        return cpu_by_pid(self.worker_pids())

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

"""The module gunicorn imports: `gunicorn -c conf/gunicorn.conf.py host.wsgi:app`."""

from host.app import create_app

app = create_app()

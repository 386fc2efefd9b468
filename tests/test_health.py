"""The public health route and a real gunicorn deployment on both databases."""

import requests


def test_health_reports_database_ok(make_host):
    harness = make_host(plugins=[])
    result = harness.call("GET", "/api/v1/health")
    assert result.status_code == 200
    assert result.json == {"status": "ok", "database": "ok"}


def test_gunicorn_with_two_workers_serves_health_and_password_login(make_host, serve):
    harness = make_host(plugins=[])
    admin = harness.user("root", roles=("admin",))
    base = serve(harness, workers=2)
    for _ in range(6):
        assert requests.get(f"{base}/api/v1/health", timeout=5).json()["database"] == "ok"
    profile = requests.get(f"{base}/api/v1/profile", auth=(admin.username, admin.password), timeout=5)
    assert profile.status_code == 200
    assert profile.json()["admin"] is True

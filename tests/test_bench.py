"""Smoke test of the benchmark's own parts (no timing assertions: the bench reports targets itself)."""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

import pytest

from bench import load, report, seed, server
from bench import pat as seed_pat
from bench.inprocess import count_statements, time_auth, time_wsgi
from bench.plugin import PERMISSION, PROTECTED_PATH, PUBLIC_PATH
from host.testing import token_headers

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:40000/bench/public
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.31ms    1.02ms  14.84ms   86.71%
    Req/Sec     3.44k   210.11     3.80k    70.00%
  Latency Distribution
     50%    2.12ms
     75%    2.60ms
     90%    3.23ms
     99%    1.04s
  6863 requests in 2.00s, 1.10MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 12
Requests/sec:   3427.10
Transfer/sec:    562.26KB
"""


def test_wrk_output_is_read():
    result = load.parse_wrk(WRK_OUTPUT)
    assert (result.requests, result.seconds, result.non_2xx, result.errors) == (6863, 2.0, 12, 3)
    assert result.p50_ms == pytest.approx(2.12)
    assert result.p99_ms == pytest.approx(1040.0)
    assert result.rps == pytest.approx(3431.5)


def test_cpu_of_processes_that_come_and_go_is_never_negative():
    assert server.cpu_used({1: 1.0, 2: 5.0}, {1: 1.5, 3: 0.25}) == 0.75
    assert server.cpu_by_pid([os.getpid()])[os.getpid()] >= 0


def test_python_load_generator_drives_a_server():
    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        result = load.run_load(url, {"X-Test": "1"}, 0.3, 2, tool="python")
    finally:
        httpd.shutdown()
    assert result.tool == "python"
    assert result.requests > 0 and result.errors == 0 and result.non_2xx == 0


@pytest.fixture
def bench_host(make_host):
    """The bench plugin next to pat_auth, which then has no `release#view` from releases_api."""
    return make_host(plugins=["pat_auth", "bench.plugin"])


def test_same_resource_public_and_protected(bench_host):
    user = bench_host.user("bench", [PERMISSION])
    token = bench_host.token(user)
    assert bench_host.call("GET", PUBLIC_PATH).json == {"ok": True}
    assert bench_host.call("GET", PROTECTED_PATH).status_code == 401
    assert bench_host.call("GET", PROTECTED_PATH, token=token).json == {"ok": True}
    assert bench_host.call("GET", PROTECTED_PATH, token=token, token_style="basic").status_code == 200


def test_plugin_leaves_release_view_to_releases_api(make_host):
    harness = make_host(plugins=["pat_auth", "releases_api", "bench.plugin"])
    assert "registered by bench.plugin" not in harness.host.permissions[PERMISSION].description


def test_seeding_measuring_counting_and_reporting_on_a_tiny_table(bench_host, tmp_path: Path):
    host = bench_host.host
    db = host.database
    sample: list[str] = []
    with bench_host.db():
        users = seed.ensure_users(db, 3, host.now(), PERMISSION)
        rows = seed_pat.seeded_rows(host, users, 0, 30, host.now(), sample, keep=5)
        assert seed.bulk_insert(db, seed_pat.TABLE, seed_pat.COLUMNS, rows, batch=7) == 30
        assert seed_pat.count(db) == 30
        seed.install_write_counter(db, [seed_pat.TABLE])
        before = seed.writes_so_far(db)
        db.execute_sql(f'UPDATE "{seed_pat.TABLE}" SET hint = hint WHERE id = 1')
        assert seed.writes_so_far(db) == {(seed_pat.TABLE, "UPDATE"): 1}
        assert seed.writes_between(before, seed.writes_so_far(db)) == 1
        headers = [token_headers(t) for t in sample]
        timing, refused = time_auth(host, PROTECTED_PATH, headers, PERMISSION, iterations=50)
        valid = count_statements(host, PROTECTED_PATH, headers[0], PERMISSION)
        unknown = count_statements(host, PROTECTED_PATH, token_headers(seed_pat.new_token()), PERMISSION)
        malformed = count_statements(host, PROTECTED_PATH, token_headers(seed_pat.malformed()), PERMISSION)
    assert refused == 0 and len(timing.samples) == 50 and 0 < timing.p50_us <= timing.p99_us
    assert sum(valid.values()) >= 1 and sum(unknown.values()) >= 1
    wsgi, status = time_wsgi(bench_host.app, PUBLIC_PATH, {}, iterations=20)
    assert status.startswith("200") and len(wsgi.samples) == 20

    out = report.Report(machine={"cores": "2"}, command="python -m bench --quick")
    result = load.LoadResult("wrk", 100, 1.0, 1.0, 2.0)
    out.http = [
        report.HttpRow("sqlite", 30, report.PUBLIC, 200, 200, result, 1.0),
        report.HttpRow("sqlite", 30, report.PAT_HEADER, 200, 200, result, 0.9),
        report.HttpRow("sqlite", 30, report.PAT_BASIC, 200, 200, result, 0.8),
        report.HttpRow(
            "sqlite", 30, report.EXPIRED, 401, 401, load.LoadResult("wrk", 100, 1.0, 1.0, 2.0), 0.9
        ),
    ]
    out.inprocess.append(
        report.InProcessRow(
            database="sqlite",
            tokens=30,
            auth_p50_us=timing.p50_us,
            auth_p99_us=timing.p99_us,
            auth_calls=len(timing.samples),
            wsgi_public_p50_us=wsgi.p50_us,
            wsgi_protected_p50_us=wsgi.p50_us,
            statements={"valid": dict(valid), "malformed": dict(malformed)},
            timed_updates=0,
            timed_seconds=0.1,
            sample_tokens=len(headers),
            http_update_rows=1,
            http_seconds=10,
            http_tokens=1,
            http_pat_requests=100,
            worker_rss_mib=[40.0, 41.0],
        )
    )
    text = report.render(out)
    assert "| sqlite | 30     | protected, PAT header" in text
    assert "PASS sqlite: protected route, PAT header ≥ 0.85 × public req/s (30: 0.90)" in text
    assert "MISS sqlite: protected route, Basic :PAT ≥ 0.85 × public req/s (30: 0.80)" in text
    assert "PASS sqlite: expired token (401) ≥ 0.80 × public" in text
    assert "the aggregated permission counts written at most once a minute per token: 1 UPDATE rows" in text
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Title\n\nHand-written intro.\n", encoding="utf-8")
    report.write_docs(doc, text)
    report.write_docs(doc, text)
    written = doc.read_text(encoding="utf-8")
    assert written.startswith("# Title\n\nHand-written intro.\n")
    assert written.count(report.BEGIN) == 1 and "| sqlite | 30" in written


def test_the_write_counter_tells_a_first_use_from_a_last_used_write(bench_host):
    """pat_auth writes a permission's first use at once (last-used unchanged) and the aggregated
    counts with the last-used write: the benchmark counts the two apart."""
    host = bench_host.host
    db = host.database
    sample: list[str] = []
    with bench_host.db():
        users = seed.ensure_users(db, 1, host.now(), PERMISSION)
        rows = seed_pat.seeded_rows(host, users, 0, 2, host.now(), sample, keep=2)
        seed.bulk_insert(db, seed_pat.TABLE, seed_pat.COLUMNS, rows)
        seed.install_write_counter(db, [seed_pat.TABLE], {seed_pat.TABLE: "last_used_at"})
        before = seed.writes_so_far(db)
        auth_rows = count_statements(host, PROTECTED_PATH, token_headers(sample[0]), PERMISSION)
        after = seed.writes_so_far(db)
    assert sum(auth_rows.values()) >= 1
    gained = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    assert gained[(seed_pat.TABLE, "UPDATE")] == 1, "the first request's last-used write"
    assert gained[(seed_pat.TABLE, seed.FIRST_USE)] == 1, "its permission's first use"

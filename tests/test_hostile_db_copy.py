"""`release-host db copy` given the deployment's own database spelled another way: refused, so
`--replace` cannot drop the tables it is copying from."""

from __future__ import annotations

from host.testing import build_harness, test_config


def test_the_own_sqlite_database_under_another_spelling_is_refused(tmp_path):
    config = test_config(f"sqlite:///{tmp_path / 'live.db'}", tmp_path, ["pat_auth"], {})
    harness = build_harness(config, tmp_path)
    try:
        alice = harness.user("alice")
        harness.token(alice, "kept")
        (tmp_path / "link").symlink_to(tmp_path)
        for spelling in (f"sqlite:///{tmp_path}/./live.db", f"sqlite:///{tmp_path}/link/live.db"):
            refused = harness.cli("db", "copy", "--to", spelling, "--replace")
            assert refused.returncode == 2, refused.stdout
            assert "already uses" in refused.stderr and "Traceback" not in refused.stderr
        listed = harness.cli("users", "list")
        assert "alice" in listed.stdout, "the source's rows are still there"
    finally:
        harness.host.shutdown()


def test_replace_empties_a_non_empty_sqlite_target(tmp_path):
    config = test_config(f"sqlite:///{tmp_path / 'live.db'}", tmp_path, ["pat_auth"], {})
    harness = build_harness(config, tmp_path)
    try:
        harness.user("alice")
        target = f"sqlite:///{tmp_path / 'copy.db'}"
        assert harness.cli("db", "copy", "--to", target).returncode == 0
        replaced = harness.cli("db", "copy", "--to", target, "--replace")
        assert replaced.returncode == 0, replaced.stderr
        assert "DIFFERS" not in replaced.stdout and "copied" in replaced.stdout
    finally:
        harness.host.shutdown()


def test_a_target_without_a_scheme_is_refused_without_echoing_its_password(tmp_path):
    config = test_config(f"sqlite:///{tmp_path / 'live.db'}", tmp_path, ["pat_auth"], {})
    harness = build_harness(config, tmp_path)
    try:
        refused = harness.cli("db", "copy", "--to", "copy:s3cret-pw@db.example.org/release")
        assert refused.returncode == 2 and "has no scheme" in refused.stderr
        assert "s3cret" not in refused.stderr + refused.stdout
    finally:
        harness.host.shutdown()

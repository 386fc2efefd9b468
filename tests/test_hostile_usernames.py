"""Issue #11 item 8: look-alike usernames are one name, and the rule is the host's, for every source.

On SQLite and PostgreSQL: names unique after NFKC case folding (a unique column), no whitespace or
control characters, one script, no Unicode TR39 skeleton twin of an existing user; the m002
migration on a database made with the previous schema; `Admin` logs in as `admin`.
"""

import threading

import peewee
import pytest

from host import UsernameError, check_username, username_key
from host.migrations import AppliedMigration
from host.testing import basic_auth
from host.users import Role, RolePermission, User, UserRole, create_user, roles_of

PROFILE = "/api/v1/profile"
CYRILLIC_ADMIN = "\u0430dmin"  # а (U+0430) then "dmin"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=[])


def create(harness, name, **kwargs):
    with harness.db():
        return create_user(name, now=harness.host.now(), rounds=4, **kwargs)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("bob\tsmith", "whitespace"),
        ("bob smith", "whitespace"),
        ("bob\u3000smith", "whitespace"),
        (" bob", "whitespace"),
        ("bob\x00", "control or invisible characters (U+0000)"),
        ("bo\u200bb", "control or invisible characters (U+200B)"),
        ("bob\u202e", "control or invisible characters (U+202E)"),
        ("bob:x", "cannot contain ':'"),
        ("", "required"),
        ("b" * 151, "1-150 characters"),
        (CYRILLIC_ADMIN, "mixes scripts (Cyrillic, Latin)"),
        ("pαypal", "mixes scripts (Greek, Latin)"),
    ],
)
def test_the_rule_refuses_with_a_message_saying_why(name, reason):
    with pytest.raises(UsernameError) as refused:
        check_username(name)
    assert reason in str(refused.value)


@pytest.mark.parametrize("name", ["alice", "ann+lee", "j.doe-2_x", "José", "straße", "日本語ひらがな", "αβγ"])
def test_the_rule_accepts_ordinary_names_in_one_script(name):
    assert check_username(name) == username_key(name)


@pytest.mark.parametrize("twin", ["Admin", "ADMIN", "ａｄｍｉｎ"])
def test_a_case_or_width_variant_of_an_existing_name_is_the_same_name(harness, twin):
    create(harness, "admin")
    with pytest.raises(UsernameError, match="User 'admin' already exists"):
        create(harness, twin)


@pytest.mark.parametrize(
    "existing, twin", [("ace", "\u0430\u0441\u0435"), ("mary", "rnary"), ("lara", "1ara")]
)
def test_a_name_confusable_with_an_existing_one_is_refused(harness, existing, twin):
    """`асе` is all Cyrillic (one script) and still looks exactly like `ace`: the TR39 skeleton."""
    create(harness, existing)
    with pytest.raises(UsernameError, match=f"looks like the existing user '{existing}'"):
        create(harness, twin)


def test_the_database_refuses_a_second_row_with_the_same_key(harness):
    create(harness, "bob")
    with harness.db(), pytest.raises(peewee.IntegrityError):
        User.create(
            username="Bob", username_key="bob", username_skeleton="b0b", created_at=harness.host.now()
        )


def test_concurrent_creations_of_variants_leave_exactly_one_user(harness):
    variants = ["carol", "Carol", "CAROL", "ｃａｒｏｌ", "cAROL", "caroI"]
    results: list[object] = []
    start = threading.Barrier(len(variants))

    def make(name):
        start.wait()
        try:
            results.append(create(harness, name))
        except ValueError as exc:
            results.append(exc)

    threads = [threading.Thread(target=make, args=(name,)) for name in variants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    made = [r for r in results if isinstance(r, User)]
    assert len(results) == len(variants) and len(made) == 1, results
    with harness.db():
        assert User.select().count() == 1


def test_cli_refuses_look_alikes_clearly(harness):
    assert harness.cli("users", "create", "admin2").returncode == 0
    for twin, message in (("Admin2", "already exists"), (CYRILLIC_ADMIN + "2", "mixes scripts")):
        refused = harness.cli("users", "create", twin)
        assert refused.returncode == 2
        assert message in refused.stderr and "Traceback" not in refused.stderr


def test_admin_logs_in_as_admin_whatever_the_case(harness):
    user = harness.user("admin")
    for typed in ("admin", "Admin", "ADMIN", "ａｄｍｉｎ"):
        result = harness.call("GET", PROFILE, headers=basic_auth(typed, user.password))
        assert result.status_code == 200, typed
        assert result.json["username"] == "admin"
    assert harness.call("GET", PROFILE, headers=basic_auth(CYRILLIC_ADMIN, user.password)).status_code == 401


class OldUser(peewee.Model):
    """`host_users` as m001 made it before m002 (no key columns)."""

    username = peewee.CharField(max_length=150, unique=True)
    source = peewee.CharField(max_length=20, default="internal")
    enabled = peewee.BooleanField(default=True)
    password_hash = peewee.CharField(max_length=100, null=True)
    display_name = peewee.CharField(max_length=200, default="")
    email = peewee.CharField(max_length=200, default="")
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = "host_users"


def test_migration_keeps_colliding_rows_and_disables_the_later_look_alikes(make_host):
    harness = make_host(plugins=[], migrate=False)
    db = harness.host.database
    names = ["admin", "Admin", CYRILLIC_ADMIN, "tab\tname", "carol"]
    with harness.db():
        with db.bind_ctx([OldUser]):
            db.create_tables([OldUser])
            ids = {
                n: OldUser.create(username=n, display_name=n, created_at=harness.host.now()).id for n in names
            }
        db.create_tables([Role, RolePermission, UserRole, AppliedMigration])
        AppliedMigration.create(
            plugin="host.builtin.users", name="m001_users_and_roles", applied_at=harness.host.now()
        )
        UserRole.create(user=ids["Admin"], role=Role.create(name="ops"))
    migrated = harness.cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "host.builtin.users:m002_username_keys" in migrated.stdout
    with harness.db():
        rows = {u.username: u for u in User.select()}
        assert sorted(rows) == sorted(names)
        assert (rows["admin"].enabled, rows["admin"].username_key) == (True, "admin")
        for twin in ("Admin", CYRILLIC_ADMIN):
            assert (rows[twin].enabled, rows[twin].username_key) == (False, None)
        assert roles_of(rows["Admin"]) == ["ops"]
        assert rows["tab\tname"].enabled and rows["carol"].username_key == "carol"
        with pytest.raises(UsernameError):
            create_user("ADMIN", now=harness.host.now())
    listed = harness.cli("users", "list").stdout
    assert "Admin\tinternal\tdisabled (looks like an older user" in listed
    refused = harness.cli("users", "enable", "Admin")
    assert refused.returncode == 2 and "looks like 'admin'" in refused.stderr
    assert harness.cli("users", "rename", "Admin", "ops-admin").returncode == 0
    assert harness.cli("users", "enable", "ops-admin").returncode == 0
    with harness.db():
        renamed = User.get(User.username == "ops-admin")
        assert renamed.enabled and renamed.username_key == "ops-admin" and roles_of(renamed) == ["ops"]

"""Configuration › Users and Roles in-process, on both databases: who sees them, and what the
forms change (through the same account functions as the CLI)."""

import re

import pytest

from host import sessions, users
from host.testing.browser import PageSession

USERS = "/configuration/users"
ROLES = "/configuration/roles"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=[])


@pytest.fixture
def root(harness):
    return harness.user("root", ["login", "security#edit"])


def signed_in(harness, user):
    page = PageSession(harness)
    assert page.login(user.username, user.password).status_code == 303
    return page


def user_row(html, username):
    found = re.search(rf'<tr data-username="{re.escape(username)}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {username}"
    return found.group(1)


def test_pages_need_security_edit_and_are_in_the_menu_only_for_its_holders(harness, root):
    plain = harness.user("plain", ["login"])
    page = signed_in(harness, plain)
    assert page.get(USERS).status_code == 403
    assert page.get(ROLES).status_code == 403
    assert "Configuration › Users" not in page.get("/").text
    admin_page = signed_in(harness, root)
    home = admin_page.get("/").text
    assert f'href="{USERS}"' in home and f'href="{ROLES}"' in home
    listed = admin_page.get(USERS)
    assert listed.status_code == 200
    assert "plain" in user_row(listed.text, "plain") and "Enabled" in user_row(listed.text, "plain")


def test_create_a_user_with_roles_who_can_then_log_in(harness, root):
    with harness.db():
        users.ensure_role("viewers", ["login", "reports#view"])
    page = signed_in(harness, root)
    made = page.post_form(
        USERS, {"username": "bob", "source": "internal", "password": "a-long-password-1", "role": "viewers"}
    )
    assert made.status_code == 303
    assert made.headers["location"] == f"{USERS}?done=created&name=bob"
    shown = page.get(made.headers["location"]).text
    assert "User bob created." in shown and "viewers" in user_row(shown, "bob")
    assert PageSession(harness).login("bob", "a-long-password-1").status_code == 303


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "root"}, "User &#39;root&#39; already exists"),
        ({"username": "Root"}, "already exists"),
        ({"username": "has space"}, "whitespace"),
        ({"username": "carol", "password": ""}, "Enter a password for the new user"),
        ({"username": "carol", "role": "no-such-role"}, "There is no role &#39;no-such-role&#39;."),
    ],
)
def test_a_refused_new_user_is_explained_in_the_reopened_form(harness, root, fields, message):
    page = signed_in(harness, root)
    result = page.post_form(USERS, {"source": "internal", "password": "a-long-password-1", **fields})
    assert result.status_code == 400
    assert message in result.text
    assert 'id="new-user-dialog" aria-labelledby="new-user-title" data-open' in result.text
    assert "a-long-password-1" not in result.text, "the password is never sent back"


def test_disable_ends_the_users_sessions_and_enable_restores_login(harness, root):
    bob = harness.user("bob", ["login"])
    bob_page = signed_in(harness, bob)
    page = signed_in(harness, root)
    result = page.post_form(f"{USERS}/{bob.id}", {"action": "disable"})
    assert result.status_code == 303
    assert bob_page.get("/").status_code == 303, "bob's session ended"
    assert "Disabled" in user_row(page.get(USERS).text, "bob")
    assert PageSession(harness).login("bob", bob.password).status_code == 200  # refused form
    assert page.post_form(f"{USERS}/{bob.id}", {"action": "enable"}).status_code == 303
    assert PageSession(harness).login("bob", bob.password).status_code == 303


def test_an_admin_cannot_disable_themselves_or_drop_their_own_access(harness, root):
    page = signed_in(harness, root)
    result = page.post_form(f"{USERS}/{root.id}", {"action": "disable"})
    assert result.status_code == 400 and "You cannot disable your own account." in result.text
    result = page.post_form(f"{USERS}/{root.id}", {"action": "roles"})
    assert result.status_code == 400 and "take away your own security#edit permission" in result.text
    with harness.db():
        assert users.roles_of(users.User.get_by_id(root.id)) == ["user:root"], "rolled back"
    assert page.get(USERS).status_code == 200


def test_setting_roles_grants_and_revokes_and_losing_login_ends_sessions(harness, root):
    with harness.db():
        users.ensure_role("viewers", ["login"])
        users.ensure_role("reporters", ["reports#view"])
    bob = harness.user("bob", [], roles=("viewers",))
    bob_page = signed_in(harness, bob)
    page = signed_in(harness, root)
    assert page.post_form(f"{USERS}/{bob.id}", {"action": "roles", "role": "reporters"}).status_code == 303
    with harness.db():
        assert users.roles_of(users.User.get_by_id(bob.id)) == ["reporters"]
    assert bob_page.get("/").status_code == 303, "without login the session ended"


def test_roles_page_lists_permissions_creates_and_edits_a_role(harness, root):
    page = signed_in(harness, root)
    shown = page.get(ROLES)
    assert shown.status_code == 200 and 'data-role="admin"' in shown.text
    made = page.post_form(
        ROLES, {"name": "auditors", "description": "Read reports", "permission": ["login", "reports#view"]}
    )
    assert made.status_code == 303
    with harness.db():
        role = users.Role.get(users.Role.name == "auditors")
        assert sorted(g.permission for g in role.grants) == ["login", "reports#view"]
    bob = harness.user("bob", [], roles=("auditors",))
    bob_page = signed_in(harness, bob)
    assert page.post_form(f"{ROLES}/{role.id}", {"permission": "reports#view"}).status_code == 303
    with harness.db():
        assert [g.permission for g in role.grants] == ["reports#view"]
    assert bob_page.get("/").status_code == 303, "the role no longer grants login: sessions ended"
    listed = page.get(f"{ROLES}?done=role-saved&name=auditors").text
    assert "Permissions of role auditors saved." in listed


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "A role name has 1 to 100 characters."),
        ({"name": "admin"}, "A role named &#39;admin&#39; exists already."),
        ({"name": "x", "permission": "no#such"}, "Unknown permission &#39;no#such&#39;."),
        ({"name": "a\u0007b"}, "must not contain control characters"),
    ],
)
def test_a_refused_role_is_explained(harness, root, fields, message):
    result = signed_in(harness, root).post_form(ROLES, fields)
    assert result.status_code == 400 and message in result.text


def test_a_role_edit_that_locks_out_the_editor_is_refused(harness, root):
    page = signed_in(harness, root)
    with harness.db():
        role = users.Role.get(users.Role.name == "user:root")
    result = page.post_form(f"{ROLES}/{role.id}", {"permission": "login"})
    assert result.status_code == 400 and "your own security#edit" in result.text
    with harness.db():
        assert sorted(g.permission for g in role.grants) == ["login", "security#edit"]


def test_forms_need_the_csrf_token_and_unknown_ids_are_404(harness, root):
    page = signed_in(harness, root)
    assert (
        page.post_form(USERS, {"username": "eve", "password": "a-long-password-1"}, csrf=False).status_code
        == 403
    )
    assert page.post_form(f"{USERS}/99999", {"action": "disable"}).status_code == 404
    assert page.post_form(f"{USERS}/abc", {"action": "disable"}).status_code == 404
    assert page.post_form(f"{ROLES}/99999", {}).status_code == 404
    assert page.get(f"{USERS}?page=-1").status_code == 400
    with harness.db():
        assert not users.User.select().where(users.User.username == "eve").exists()
    assert sessions  # the module's CSRF rules are the sessions module's

"""Shared test components: a real OpenLDAP server (`slapd`) for the LDAP login tests, and a
recording HTTP server (`recorder`) that automated tasks call."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from host.testing import free_port, require, wait_for_port
from tests.oidc_provider import oidc_provider  # noqa: F401 - a real OpenID provider (node oidc-provider)
from tests.releases.support import Recorder
from tests.smtp import smtp, tls_smtp  # noqa: F401 - real SMTP servers (aiosmtpd) for the notification tests

SUFFIX = "dc=example,dc=org"
PEOPLE = f"ou=people,{SUFFIX}"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "directory-admin-pw"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


def _tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )


@dataclass
class Slapd:
    """A running directory: its URL and the people it holds (uid → password)."""

    url: str
    suffix: str = SUFFIX
    people_dn: str = PEOPLE
    root_dn: str = ROOT_DN
    root_password: str = ROOT_PASSWORD
    people: dict[str, str] = field(default_factory=dict)

    def settings(self, **extra: object) -> dict[str, object]:
        """`[plugins.ldap_auth]` binding users directly by DN."""
        return {"url": self.url, "user_dn_template": f"uid={{username}},{self.people_dn}", **extra}

    def search_settings(self, **extra: object) -> dict[str, object]:
        """`[plugins.ldap_auth]` finding users with a service account's search."""
        return {
            "url": self.url,
            "search_base": self.people_dn,
            "search_filter": "(&(objectClass=inetOrgPerson)(uid={username}))",
            "bind_dn": self.root_dn,
            "bind_password": self.root_password,
            **extra,
        }

    def _admin(self):  # type: ignore[no-untyped-def]
        from ldap3 import Connection

        conn = Connection(self.url, user=self.root_dn, password=self.root_password, raise_exceptions=True)
        conn.bind()
        return conn

    def add_person(self, uid: str, password: str) -> None:
        """A new entry under ou=people (tests that change the directory use their own people)."""
        conn = self._admin()
        conn.add(
            f"uid={uid},{self.people_dn}",
            ["inetOrgPerson"],
            {"cn": uid.title(), "sn": uid, "mail": f"{uid}@example.org", "userPassword": password},
        )
        conn.unbind()
        self.people[uid] = password

    def modify_person(self, uid: str, **attributes: str) -> None:
        from ldap3 import MODIFY_REPLACE

        conn = self._admin()
        conn.modify(
            f"uid={uid},{self.people_dn}", {k: [(MODIFY_REPLACE, [v])] for k, v in attributes.items()}
        )
        conn.unbind()

    def delete_person(self, uid: str) -> None:
        from ldap3.core.exceptions import LDAPNoSuchObjectResult

        conn = self._admin()
        with contextlib.suppress(LDAPNoSuchObjectResult):  # deleted already
            conn.delete(f"uid={uid},{self.people_dn}")
        conn.unbind()
        self.people.pop(uid, None)


PEOPLE_SEED = {
    "lara": ("Lara Directory", "lara-directory-pw"),
    "ann+lee": ("Ann Lee", "ann-directory-pw"),
    "nopass": ("No Password Set", None),
}


def _ldif(hashes: dict[str, str | None]) -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
    ]
    for index, (uid, (name, _)) in enumerate(PEOPLE_SEED.items()):
        rdn = uid.replace("+", "\\+")
        lines = [
            f"dn: uid={rdn},{PEOPLE}",
            "objectClass: inetOrgPerson",
            "objectClass: posixAccount",
            f"uid: {uid}",
            f"cn: {name}",
            f"sn: {name.split()[-1]}",
            f"mail: {uid.replace('+', '.')}@example.org",
            f"uidNumber: {10000 + index}",
            "gidNumber: 10000",
            f"homeDirectory: /home/{uid}",
        ]
        if hashes[uid]:
            lines.append(f"userPassword: {hashes[uid]}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """One slapd for the session, on a free loopback port, with its own configuration and data."""
    binary, slapadd, slappasswd = _tool("slapd"), _tool("slapadd"), _tool("slappasswd")
    require(
        bool(binary and slapadd and slappasswd) and Path("/etc/ldap/schema/core.schema").exists(),
        "OpenLDAP slapd is not installed (apt-get install slapd ldap-utils)",
    )
    base = tmp_path_factory.mktemp("slapd")
    (base / "data").mkdir()

    def hashed(password: str) -> str:
        return subprocess.run(
            [slappasswd, "-s", password], check=True, capture_output=True, text=True
        ).stdout.strip()

    conf = base / "slapd.conf"
    includes = "\n".join(f"include /etc/ldap/schema/{name}.schema" for name in SCHEMAS)
    conf.write_text(
        f"""{includes}
pidfile {base}/slapd.pid
argsfile {base}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 16777216
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {hashed(ROOT_PASSWORD)}
directory {base}/data
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
""",
        encoding="utf-8",
    )
    hashes = {uid: hashed(pw) if pw else None for uid, (_, pw) in PEOPLE_SEED.items()}
    (base / "seed.ldif").write_text(_ldif(hashes), encoding="utf-8")
    subprocess.run(
        [slapadd, "-f", str(conf), "-l", str(base / "seed.ldif")], check=True, capture_output=True, timeout=60
    )
    port = free_port()
    log = open(base / "slapd.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [binary, "-d", "0", "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc=proc)
        yield Slapd(
            url=f"ldap://127.0.0.1:{port}",
            people={uid: pw for uid, (_, pw) in PEOPLE_SEED.items() if pw},
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """An HTTP server on 127.0.0.1 that records what automated tasks send it."""
    found = Recorder()
    yield found
    found.close()

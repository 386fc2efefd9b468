"""When the directory last vouched for each LDAP user: shared by every worker and host, so a check
made by one spares the others, and a deprovisioned user is refused everywhere at once."""

from __future__ import annotations

import peewee

from host import BaseModel, Migration, User, create_tables


class DirectoryCheck(BaseModel):
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", unique=True)
    checked_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "ldap_auth_checks"


MODELS = [DirectoryCheck]
MIGRATIONS = [Migration("m001_directory_checks", create_tables(DirectoryCheck))]

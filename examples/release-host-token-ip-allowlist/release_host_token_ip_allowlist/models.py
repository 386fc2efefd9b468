"""The plugin's table and its migrations: one row per (token, allowed range)."""

from __future__ import annotations

import peewee

from host import BaseModel, Migration, PreparedQuery, create_tables


class AllowedRange(BaseModel):
    """A CIDR range a credential may be used from. No rows for a credential: no restriction.

    `credential_id` is the id the issuing plugin put in `Actor.credential_id` (pat_auth: the
    token id as a string); the token itself lives in pat_auth's tables, which we do not touch.
    """

    credential_id = peewee.CharField(max_length=100, index=True)
    cidr = peewee.CharField(max_length=50)
    created_at = peewee.DateTimeField()
    created_by = peewee.CharField(max_length=150)

    class Meta:
        table_name = "token_ip_allowlist_ranges"
        indexes = ((("credential_id", "cidr"), True),)


MODELS = [AllowedRange]

MIGRATIONS = [Migration("m001_create_allowed_ranges", create_tables(AllowedRange))]

RANGES_OF = PreparedQuery(
    lambda: (
        AllowedRange.select(AllowedRange.cidr)
        .where(AllowedRange.credential_id == "")
        .order_by(AllowedRange.id)
    )
)
"""Every token request asks this, so it is one prepared statement."""


def ranges_of(credential_id: str) -> list[str]:
    return [row[0] for row in RANGES_OF.rows((credential_id,))]

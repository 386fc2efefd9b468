"""Schema steps, applied once each and recorded by name."""

from __future__ import annotations

from host import Migration, create_tables
from plugins.pat_auth.models import PatAuditRecord, PersonalAccessToken

MIGRATIONS = [
    Migration("m001_create_tokens_and_audit", create_tables(PersonalAccessToken, PatAuditRecord)),
]

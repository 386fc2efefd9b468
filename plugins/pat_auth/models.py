"""Tables: tokens (only a keyed digest of each secret) and the audit trail."""

from __future__ import annotations

import json

import peewee

from host import BaseModel, User


class PersonalAccessToken(BaseModel):
    """One token. `digest` is HMAC-SHA256 of the secret under the server key: unique and indexed,
    so a request is one indexed lookup. `scope` is a JSON list of permission names, NULL for a
    token that acts with all of its owner's permissions. Deleting sets `deleted_at`, which the
    lookup reads on every request, so no process can keep honouring a deleted token."""

    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="+", column_name="user_id")
    user_id: int  # the foreign key's value, which peewee provides without loading the user
    name = peewee.CharField(max_length=100)
    digest = peewee.CharField(max_length=64, unique=True)
    hint = peewee.CharField(max_length=16)
    scope = peewee.TextField(null=True)
    created_at = peewee.DateTimeField()
    expires_at = peewee.DateTimeField(null=True)
    last_used_at = peewee.DateTimeField(null=True)
    last_used_ip = peewee.CharField(max_length=45, null=True)
    deleted_at = peewee.DateTimeField(null=True)
    # rotation (`rotation.py`): the replacement's id and when; `expires_at` then holds the end of
    # the overlap. `reuse_reported_at` bounds the reuse reports to one per token and interval.
    replaced_by_id = peewee.IntegerField(null=True)
    replaced_at = peewee.DateTimeField(null=True)
    reuse_reported_at = peewee.DateTimeField(null=True)
    # what the token really used (`usage.py`): JSON {"+release#view": [count, first, last], ...}
    # ("-" for a denied permission), and its last five client networks [[network, first, last]]
    permission_use = peewee.TextField(null=True)
    addresses = peewee.TextField(null=True)

    class Meta:
        table_name = "pat_tokens"
        indexes = ((("user", "deleted_at"), False),)

    @property
    def permissions(self) -> list[str] | None:
        """The selected permissions, or None for all permissions."""
        return decode_scope(self.scope)


class PatAuditRecord(BaseModel):
    """Who did what to which token, from where. Holds token ids and hints, never a secret.

    `action` is created / deleted / refused; a refusal has `reason` (expired, invalid,
    owner-disabled) and a `detail` for admins (malformed, bad-checksum, unknown, deleted, …)
    that the caller is never told. Created and deleted are one row each. Refusals are
    aggregated: one row per client address, reason, detail and token per minute
    (`aggregate_key`), with `count` refusals from `at` to `last_at` and up to five `samples`
    (hints, comma-separated), so guessing cannot make the table grow with each request."""

    at = peewee.DateTimeField(index=True)
    action = peewee.CharField(max_length=20)
    reason = peewee.CharField(max_length=40, null=True)
    detail = peewee.CharField(max_length=40, default="")
    token_id = peewee.IntegerField(null=True, index=True)
    hint = peewee.CharField(max_length=16, null=True)
    user_id = peewee.IntegerField(null=True)
    username = peewee.CharField(max_length=150, null=True)
    actor = peewee.CharField(max_length=150, null=True)
    ip = peewee.CharField(max_length=45, null=True)
    count = peewee.IntegerField(default=1)
    samples = peewee.TextField(null=True)
    last_at = peewee.DateTimeField(null=True)
    aggregate_key = peewee.CharField(max_length=200, null=True, unique=True)
    user_agent = peewee.CharField(max_length=300, null=True)
    source = peewee.TextField(null=True)  # where a leaked token was found, as its reporter said

    class Meta:
        table_name = "pat_audit"


class PatReminder(BaseModel):
    """A reminder sent (or being sent): `key` is `token:<id>:<point>` or `digest:<day>`, unique, so
    of any number of workers and hosts the one whose INSERT succeeds sends it (`reminders.py`)."""

    key = peewee.CharField(max_length=200, unique=True)
    token_id = peewee.IntegerField(null=True, index=True)
    user_id = peewee.IntegerField(null=True)
    point = peewee.CharField(max_length=20)
    sent_at = peewee.DateTimeField()

    class Meta:
        table_name = "pat_reminders"


class PatTokenAddress(BaseModel):
    """A client network a token has been used from: unique per token, so of any number of
    workers and hosts the one whose INSERT succeeds records and announces the first use
    (`addresses.py`)."""

    token_id = peewee.IntegerField()
    network = peewee.CharField(max_length=64)
    first_at = peewee.DateTimeField()

    class Meta:
        table_name = "pat_token_addresses"
        indexes = ((("token_id", "network"), True),)


MODELS = [PersonalAccessToken, PatAuditRecord, PatReminder, PatTokenAddress]


def encode_scope(permissions: list[str] | None) -> str | None:
    return None if permissions is None else json.dumps(sorted(set(permissions)))


def decode_scope(value: str | None) -> list[str] | None:
    return None if value is None else list(json.loads(value))

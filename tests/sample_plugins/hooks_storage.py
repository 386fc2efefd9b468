"""A model and two named migrations, for `test_hook_register_models` and `_register_migrations`."""

import peewee

from host import BaseModel, Migration, create_tables, hookimpl


class Bookmark(BaseModel):
    """A plugin-owned table; its name is prefixed with the plugin's to stay out of others' way."""

    url = peewee.CharField(max_length=500)
    title = peewee.CharField(max_length=200, default="")

    class Meta:
        table_name = "hooks_storage_bookmarks"


def _m002_seed(db: peewee.Database) -> None:
    """A data migration: it must run once, so the row exists exactly once."""
    Bookmark.create(url="https://example.org/", title="seeded by m002")


@hookimpl
def register_models(host):
    return [Bookmark]


@hookimpl
def register_migrations(host):
    return [Migration("m001_create_bookmarks", create_tables(Bookmark)), Migration("m002_seed", _m002_seed)]

"""core.migration_ops: the SQLite table rebuild keeps the triggers that name the table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import OperationalError, models
from django.db.utils import ConnectionHandler
from django.test.utils import isolate_apps

from core.migration_ops import _sqlite_triggers_set_aside

# The test database is PostgreSQL; the rebuild only happens on SQLite (make run).
pytestmark = pytest.mark.django_db


@pytest.fixture
def sqlite() -> Iterator:
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )
    connection = handler["default"]
    yield connection
    connection.close()


def _triggers(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


@isolate_apps("core")
def _tables(connection):
    class Owner(models.Model):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "core"
            db_table = "h_owner"

        def __str__(self) -> str:
            return self.name

    class Item(models.Model):
        owner = models.ForeignKey(Owner, on_delete=models.CASCADE)
        owner_name = models.CharField(max_length=10, blank=True)

        class Meta:
            app_label = "core"
            db_table = "h_item"

        def __str__(self) -> str:
            return self.owner_name

    with connection.schema_editor() as editor:
        editor.create_model(Owner)
        editor.create_model(Item)
        # as contracts 0005: a trigger on another table that reads this one, and one on it
        editor.execute(
            "CREATE TRIGGER h_item_copy AFTER INSERT ON h_item BEGIN UPDATE h_item SET "
            "owner_name = (SELECT name FROM h_owner WHERE id = NEW.owner_id) "
            "WHERE id = NEW.id; END"
        )
        editor.execute(
            "CREATE TRIGGER h_owner_rename AFTER UPDATE OF name ON h_owner BEGIN "
            "UPDATE h_item SET owner_name = NEW.name WHERE owner_id = NEW.id; END"
        )
    country = models.CharField(max_length=2, default="CN")
    country.set_attributes_from_name("country")
    return Owner, country


def test_a_rebuild_without_it_fails_on_the_trigger_that_reads_the_table(sqlite):
    owner, country = _tables(sqlite)
    with pytest.raises(OperationalError, match="h_item_copy"):
        with sqlite.schema_editor() as editor:
            editor.add_field(owner, country)


def test_it_sets_the_triggers_aside_and_puts_them_back(sqlite):
    owner, country = _tables(sqlite)

    with sqlite.schema_editor() as editor:
        with _sqlite_triggers_set_aside(editor, "h_owner"):
            editor.add_field(owner, country)

    assert _triggers(sqlite) == {"h_item_copy", "h_owner_rename"}
    with sqlite.cursor() as cursor:
        cursor.execute("INSERT INTO h_owner (name, country) VALUES ('Li', 'CN')")
        cursor.execute("INSERT INTO h_item (owner_id, owner_name) VALUES (1, '')")
        cursor.execute("UPDATE h_owner SET name = 'Wang' WHERE id = 1")
        cursor.execute("SELECT owner_name FROM h_item")
        assert cursor.fetchone() == ("Wang",)

"""Migration operations shared by the apps' migrations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations

if TYPE_CHECKING:
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor
    from django.db.migrations.state import StateApps


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CONCURRENTLY on PostgreSQL (a live database with a million contracts keeps taking
    writes while the index builds); a plain CREATE INDEX on other databases (the SQLite
    database of `make run`, where AddIndexConcurrently fails). The migration using it
    must set ``atomic = False``."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )


class RunSQLByVendor(migrations.RunSQL):
    """RunSQL with one statement list per database vendor ("postgresql", "sqlite");
    a vendor without an entry runs nothing."""

    def __init__(self, forwards: dict[str, list[str]], backwards: dict[str, list[str]]):
        super().__init__(sql="", reverse_sql="")
        self.forwards_by_vendor = forwards
        self.backwards_by_vendor = backwards

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"forwards": self.forwards_by_vendor, "backwards": self.backwards_by_vendor},
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.forwards_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.backwards_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)


@contextmanager
def _sqlite_triggers_set_aside(
    schema_editor: BaseDatabaseSchemaEditor, table: str
) -> Iterator[None]:
    """On SQLite, drops every trigger whose SQL names ``table`` and creates them again after
    the block. SQLite's table rebuild (Django's ``_remake_table``: most AddField and
    AlterField) drops the table and renames a copy; a trigger on another table that reads
    this one makes the rename fail ("error in trigger ...: no such table"), and the
    triggers on the table itself would silently disappear with it."""
    if schema_editor.connection.vendor != "sqlite":
        yield
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        rows = cursor.fetchall()
    mentions = re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE)
    triggers = [(name, sql) for name, sql in rows if sql and mentions.search(sql)]
    for name, _sql in triggers:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"', params=None)
    yield
    for _name, sql in triggers:
        schema_editor.execute(sql, params=None)


class KeepSQLiteTriggers(migrations.SeparateDatabaseAndState):
    """Runs ``operations`` (state and database as usual) with the SQLite triggers that name
    ``table`` set aside and put back (``_sqlite_triggers_set_aside``); other databases run
    them unchanged. Wrap any operation that rebuilds a table triggers read (customers,
    contracts: the book-manager triggers of contracts 0005)."""

    def __init__(self, table: str, operations: list[Any]):
        super().__init__(database_operations=operations, state_operations=operations)
        self.table = table

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"table": self.table, "operations": self.database_operations},
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        with _sqlite_triggers_set_aside(schema_editor, self.table):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        with _sqlite_triggers_set_aside(schema_editor, self.table):
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        count = len(self.database_operations)
        return f"Keep the SQLite triggers naming {self.table} around {count} operation(s)"


def trigram_indexes(indexes: list[tuple[str, str, str]]) -> migrations.RunPython:
    """GIN trigram indexes for substring search (``icontains``) on PostgreSQL.

    ``indexes``: (index name, table, column). Django's ``icontains`` compares
    ``UPPER(column::text)``, so that is what is indexed. Creates the ``pg_trgm``
    extension (trusted since PostgreSQL 13: the database owner may create it) and builds
    each index CONCURRENTLY (the migration must set ``atomic = False``). If the extension
    cannot be created (a role without the right), it warns and goes on: search works,
    only slower. Other databases (SQLite of ``make run``): nothing to do.
    """

    def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        import warnings

        from django.db import DatabaseError

        try:
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:
            warnings.warn(f"pg_trgm not available, search stays unindexed: {exc}", stacklevel=1)
            return
        for name, table, column in indexes:
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} "
                f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
            )

    def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, _table, _column in indexes:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")

    return migrations.RunPython(forwards, backwards)

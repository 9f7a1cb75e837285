"""Migration operations shared by the apps' migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

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

"""Migration operations shared by the apps' migrations."""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


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

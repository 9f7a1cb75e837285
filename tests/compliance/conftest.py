from __future__ import annotations

import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def shipped_rules(request):
    """The shipped jurisdictions and rule sets, for tests that use the database (a
    transactional test elsewhere may have flushed what the data migration created). The
    seed only creates rows that are missing."""
    if "django_db" not in request.keywords:
        return
    request.getfixturevalue("db")
    importlib.import_module("compliance.migrations.0002_seed_jurisdictions_rulesets").seed(
        apps, None
    )

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# same tests are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language and leaves it so.

    Requests through the test client (LocaleMiddleware) and services that render in a
    customer's language activate a language on the thread; without this reset a Chinese
    test would change the strings a later test sees.
    """
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def manager(db):
    from tests.factories import StaffFactory

    return StaffFactory(username="alice")


@pytest.fixture
def team_lead(db):
    from django.contrib.auth.models import Permission

    from tests.factories import StaffFactory

    lead = StaffFactory(username="lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    return lead

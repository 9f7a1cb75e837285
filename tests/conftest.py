from __future__ import annotations

import importlib
import os
import select
import socket
import time

import pytest
from django.apps import apps

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# same tests are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _sleep_through_select(seconds: float) -> None:
    select.select([], [], [], max(0.0, seconds))


# Under Debian's faketime (`make test` reruns the date-sensitive tests at shifted dates, see
# docs/testing.md) the monotonic clock must stay real (FAKETIME_DONT_FAKE_MONOTONIC=1), or
# every timed lock wait (Thread.join(0.5), Event.wait) blocks for the shift, i.e. for years.
# libfaketime 0.9.10 then turns the absolute-deadline clock_nanosleep behind time.sleep into
# EINVAL; select() with a relative timeout sleeps correctly, so sleep through it.
if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME"):
    time.sleep = _sleep_through_select


# The longest files first: a worker given the 100,000-row import or the demo tour near the end
# of the run would finish minutes after the other. With `--dist loadfile` the files go out in
# the order collected, so the browser and worker-process tests (tests/e2e/, the slowest by
# far) are collected first, the heaviest of them at the head, and the many short unit tests
# fill both workers' tails.
HEAVY_FIRST = (
    "tests/e2e/test_insights_import.py",
    "tests/e2e/test_demo_tour.py",
    "tests/e2e/test_accessibility.py",
    # Not browser tests, but a minute or more each: sent out early rather than last.
    "tests/insights/test_propensity_seed.py",
    "tests/api/test_schema.py",
    "tests/portal/test_access_crawler.py",
)


def _run_order(item: pytest.Item) -> tuple[int, int]:
    path = str(item.fspath).replace(os.sep, "/")
    heavy = next((i for i, name in enumerate(HEAVY_FIRST) if path.endswith(name)), None)
    if heavy is not None:
        return (0, heavy)
    return (1, 0) if "/tests/e2e/" in path else (2, 0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_run_order)  # stable: the order inside each group stays as collected


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """In the shifted-date runs (scripts/test_at_dates.sh sets RENEWDESK_SHIFTED_DATE), a
    test whose body starts with the clock already frozen by time_machine (an autouse
    fixture, a class or module freeze) cannot depend on today's date: its dates are the
    ones it chose. It ran on today's date in the main run; here it is skipped, which keeps
    the extra runs of the suite within CI's time (docs/testing.md)."""
    if os.environ.get("RENEWDESK_SHIFTED_DATE"):
        import time_machine

        if time_machine.coordinates_stack:
            pytest.skip("clock frozen by the test: independent of today's date")


@pytest.fixture(autouse=True)
def _shipped_compliance_rules(request):
    """The shipped jurisdictions and automatic-renewal rule sets, for every test that uses
    the database: the lifecycle reads them for every automatic renewal, and a transactional
    test (which flushes the tables) would otherwise leave the tests after it in the same
    worker without what the data migration created. The seed only adds missing rows.
    A test reaches the database by the mark or through a fixture (``customer(db)``)."""
    if "django_db" not in request.keywords and not (
        {"db", "transactional_db"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("db")
    importlib.import_module("compliance.migrations.0002_seed_jurisdictions_rulesets").seed(
        apps, None
    )


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


def _redis_settings(settings, prefix: str) -> dict:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": settings.REDIS_TEST_URL,
            "KEY_PREFIX": f"{prefix}-{worker}",
        }
    }


@pytest.fixture
def shared_cache(settings, request):
    """The real Redis as the default cache, as in production; each test module and xdist
    worker under its own key prefix, cleared before and after."""
    from django.core.cache import cache

    settings.CACHES = _redis_settings(settings, request.module.__name__.rsplit(".", 1)[-1])
    cache.clear()
    yield
    cache.clear()


UNREACHABLE_CACHE = {
    "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """An SMTP server's DATA handler: answers the queued replies first, then 250."""

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.messages: list = []
        self.data_commands = 0

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) in the test process; Django's SMTP backend points at
    it. Shared by the notification tests and the browser journeys."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()

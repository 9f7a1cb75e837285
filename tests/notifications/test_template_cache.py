"""Admin-edited message templates are looked up once per process while a shared cache
holds the token; saving or deleting one is seen by the very next message."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import rendering
from notifications.models import MessageTemplate
from notifications.rendering import template_render
from tests.conftest import UNREACHABLE_CACHE

pytestmark = pytest.mark.django_db

TABLE = '"notifications_messagetemplate"'


@pytest.fixture(autouse=True)
def _nothing_kept():
    rendering._templates = None
    yield
    rendering._templates = None


def _render(channel: str = "email") -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        rendered = template_render(
            kind="care_birthday",
            language="en",
            channel=channel,
            context={"customer_name": "Acme Ltd"},
        )
    reads = sum(1 for q in queries.captured_queries if f"FROM {TABLE}" in q["sql"])
    return rendered.subject, reads


def _edit(**fields) -> MessageTemplate:
    values = {
        "kind": "care_birthday",
        "language": "en",
        "channel": "email",
        "subject": "Hello {{ customer_name }}",
        "body_text": "Custom",
    }
    return MessageTemplate.objects.create(**(values | fields))


def test_without_a_shared_cache_every_message_reads_the_table():
    assert _render() == ("Happy birthday from RenewDesk", 1)
    _edit()  # not even committed: the same transaction sees it
    assert _render() == ("Hello Acme Ltd", 1)


def test_with_a_shared_cache_each_template_is_read_once_per_process(shared_cache):
    _render()  # the cache was empty: the token is set, nothing kept yet
    assert _render() == ("Happy birthday from RenewDesk", 1)
    assert _render() == ("Happy birthday from RenewDesk", 0)
    assert _render("in_app")[1] == 1  # another (kind, language, channel)
    assert _render("in_app")[1] == 0


def test_a_saved_template_is_used_by_the_very_next_message_in_every_process(
    shared_cache, django_capture_on_commit_callbacks
):
    _render()
    _render()
    kept_elsewhere = rendering._templates  # what another worker process still holds
    assert kept_elsewhere is not None

    with django_capture_on_commit_callbacks(execute=True):
        template = _edit()
    rendering._templates = kept_elsewhere
    assert _render() == ("Hello Acme Ltd", 1)
    assert _render() == ("Hello Acme Ltd", 0)

    kept_elsewhere = rendering._templates
    with django_capture_on_commit_callbacks(execute=True):
        template.subject = "Changed for {{ customer_name }}"
        template.save()
    rendering._templates = kept_elsewhere
    assert _render()[0] == "Changed for Acme Ltd"

    kept_elsewhere = rendering._templates
    with django_capture_on_commit_callbacks(execute=True):
        template.delete()
    rendering._templates = kept_elsewhere
    assert _render()[0] == "Happy birthday from RenewDesk"


def test_a_bulk_update_is_seen_once_the_kept_templates_expire(shared_cache, settings):
    template = _edit()
    _render()
    assert _render() == ("Hello Acme Ltd", 0)

    MessageTemplate.objects.filter(pk=template.pk).update(is_active=False)  # no post_save
    assert _render()[0] == "Hello Acme Ltd"

    settings.NOTIFICATIONS = {**getattr(settings, "NOTIFICATIONS", {}), "TEMPLATE_CACHE_SECONDS": 0}
    assert _render()[0] == "Happy birthday from RenewDesk"


def test_an_unreachable_cache_means_reading_the_table(settings):
    settings.CACHES = UNREACHABLE_CACHE
    assert _render() == ("Happy birthday from RenewDesk", 1)
    _edit()  # announcing the change fails quietly
    assert _render() == ("Hello Acme Ltd", 1)

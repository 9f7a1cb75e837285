"""The local mail page (/staff/dev/mail/, `make run` only) in the browser: no console error.

Its message text once had a style attribute, which the Content-Security-Policy (no inline
styles) refused with a console error on every load."""

from __future__ import annotations

import importlib

import pytest
from django.core.mail import send_mail
from django.urls import clear_url_caches

from core.mailbox import BACKEND, mailbox_list

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _reload_urls() -> None:
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def local_mail(settings, tmp_path):
    """What config.settings.local sets: a mailbox directory and the mailbox backend (the
    page is mounted only then)."""
    settings.LOCAL_MAILBOX_DIR = str(tmp_path / "mail")
    settings.EMAIL_BACKEND = BACKEND
    _reload_urls()
    yield tmp_path / "mail"
    del settings.LOCAL_MAILBOX_DIR
    _reload_urls()


def test_the_local_mail_pages_load_without_console_errors(live_server, page, local_mail):
    send_mail(
        "Your RenewDesk login link",
        "Use this link:\n\nhttp://127.0.0.1:8000/portal/login/link/abc.def/\n\nA long line "
        + "that wraps " * 30,
        "desk@renewdesk.local",
        ["ann@acme.example"],
    )

    page.goto(f"{live_server.url}/staff/dev/mail/")
    assert page.js_errors == []
    text = page.locator("pre.mail-text").first
    assert "Use this link:" in text.inner_text()
    # The text keeps its line breaks and wraps: the rule now comes from staff.css.
    assert text.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    page.goto(f"{live_server.url}/staff/dev/mail/{mailbox_list()[0].id}/")
    assert page.locator("pre.mail-text").evaluate("el => getComputedStyle(el).whiteSpace") == (
        "pre-wrap"
    )
    assert page.js_errors == []

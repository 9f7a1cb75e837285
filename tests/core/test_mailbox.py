from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, send_mail
from django.urls import clear_url_caches

from core.mailbox import BACKEND, mailbox_get, mailbox_list
from tests.factories import CustomerFactory, PortalAccountFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

MAIL = "/staff/dev/mail/"


def _reload_urls() -> None:
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def local_mail(settings, tmp_path):
    """What config.settings.local sets: a mailbox directory and the mailbox backend."""
    settings.LOCAL_MAILBOX_DIR = str(tmp_path / "mail")
    settings.EMAIL_BACKEND = BACKEND
    _reload_urls()
    yield tmp_path / "mail"
    del settings.LOCAL_MAILBOX_DIR
    _reload_urls()


def test_it_keeps_each_email_as_a_file_newest_first_with_its_links(local_mail, caplog):
    caplog.set_level("INFO", logger="core.mailbox")
    send_mail("First", "Hello", "desk@renewdesk.local", ["ann@acme.example"])
    message = EmailMultiAlternatives(
        "Your RenewDesk login link",
        "Use this link:\n\nhttp://127.0.0.1:8000/portal/login/link/abc.def/\n\nBye.",
        "desk@renewdesk.local",
        ["bob@acme.example"],
    )
    message.attach_alternative("<p>Use <a href='http://x.example/'>this</a></p>", "text/html")
    message.send()

    items = mailbox_list()
    assert [i.subject for i in items] == ["Your RenewDesk login link", "First"]
    assert items[0].to == "bob@acme.example"
    assert items[0].links == ["http://127.0.0.1:8000/portal/login/link/abc.def/"]
    assert "<p>Use" in items[0].html
    assert len(list(local_mail.glob("*.eml"))) == 2
    assert "[mail] to bob@acme.example: Your RenewDesk login link" in caplog.text
    assert [i.subject for i in mailbox_list(to="ann@")] == ["First"]


def test_the_page_lists_subject_recipient_body_and_clickable_links(client, local_mail):
    send_mail(
        "Your RenewDesk login link",
        "Open http://127.0.0.1:8000/portal/login/link/abc.def/ within 15 minutes & enjoy.",
        "desk@renewdesk.local",
        ["ann@acme.example"],
    )

    response = client.get(MAIL)  # no login: from this machine

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your RenewDesk login link" in html
    assert "ann@acme.example" in html
    assert '<a href="http://127.0.0.1:8000/portal/login/link/abc.def/"' in html
    assert "15 minutes &amp; enjoy" in html
    item = mailbox_list()[0]
    detail = client.get(f"{MAIL}{item.id}/")
    assert detail.status_code == 200
    assert "within 15 minutes" in detail.content.decode()


def test_the_latest_portal_login_links_come_first_above_newer_mail(client, local_mail):
    link = "http://127.0.0.1:8000/portal/login/link/abc.def/"
    send_mail("Your RenewDesk login link", f"Use {link}", "d@x.example", ["ann@acme.example"])
    for n in range(5):
        send_mail(f"How did we do? {n}", "Answer", "d@x.example", [f"c{n}@acme.example"])

    html = client.get(MAIL).content.decode()

    links = html.index("Latest portal login links")
    assert links < html.index(f'<a href="{link}" class="btn btn-sm btn-primary">')
    assert html.index(f'<a href="{link}"') < html.index("How did we do? 4")
    assert "Log in as ann@acme.example" in html


def test_it_is_not_shown_to_another_machine_unless_staff(client, local_mail):
    assert client.get(MAIL, REMOTE_ADDR="203.0.113.9").status_code == 404
    client.force_login(StaffFactory())
    assert client.get(MAIL, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_a_message_id_is_never_a_path(client, local_mail):
    send_mail("Secret", "x", "desk@renewdesk.local", ["ann@acme.example"])

    assert mailbox_get("../mail/" + mailbox_list()[0].id) is None
    assert client.get(f"{MAIL}..%2F..%2Fetc%2Fpasswd/").status_code == 404
    assert client.get(f"{MAIL}00000000000000000000-deadbeef/").status_code == 404


def test_the_portal_login_link_lands_in_the_mailbox(
    client, local_mail, django_capture_on_commit_callbacks
):
    from notifications.models import Message
    from notifications.services.delivery import message_deliver

    user = UserFactory(username="ann", email="ann@acme.example", language="en")
    PortalAccountFactory(user=user, customer=CustomerFactory())
    cache.clear()  # the portal's rate limits count in the cache

    # On commit the web process hands the message to the worker; deliver it as the worker
    # does, without a broker.
    with django_capture_on_commit_callbacks(execute=False):
        client.post("/portal/login/", {"email": "ann@acme.example"})
    message_deliver(message_id=Message.objects.get(kind="portal_login_link").pk)

    [item] = mailbox_list(to="ann@acme.example")
    assert any("/portal/login/link/" in link for link in item.links)


def test_it_does_not_exist_without_the_local_settings(client):
    client.force_login(StaffFactory())

    assert client.get(MAIL).status_code == 404


def _settings_of(module: str) -> dict:
    """LOCAL_MAILBOX_DIR, EMAIL_BACKEND and whether /staff/dev/mail/ resolves, as a fresh
    process with ``module`` sees them."""
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n"
        "    resolve('/staff/dev/mail/'); mounted = True\n"
        "except Resolver404:\n"
        "    mounted = False\n"
        "print(json.dumps({'dir': getattr(settings, 'LOCAL_MAILBOX_DIR', None),"
        " 'backend': settings.EMAIL_BACKEND, 'mounted': mounted}))\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("EMAIL_URL", "LOCAL_MAILBOX_DIR")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=module,
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="renewdesk.example",
        DATABASE_URL="postgres://renewdesk@127.0.0.1:5432/renewdesk",
        REDIS_URL="redis://127.0.0.1:6379/15",
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_settings_have_no_mailbox_page_and_local_settings_do():
    production = _settings_of("config.settings.production")
    local = _settings_of("config.settings.local")

    assert production == {"dir": None, "backend": production["backend"], "mounted": False}
    assert production["backend"] != BACKEND
    assert local["mounted"] is True
    assert local["backend"] == BACKEND
    assert local["dir"].endswith("var/mail")

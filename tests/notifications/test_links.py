from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from lifecycle.reminder_sweep import reminders_sweep
from notifications.models import Message
from notifications.services import outbox_deliver_due

from .conftest import AS_OF


def database_snapshot() -> dict[str, tuple]:
    """Row count and the newest change of every table: any write shows up."""
    out = {}
    with connection.cursor() as cur:
        for model in apps.get_models():
            table = model._meta.db_table
            cur.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - table names from models
            out[table] = cur.fetchone()
    out["messages"] = tuple(Message.objects.values_list("id", "status", "read_at", "updated_at"))
    return out


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("auto_renew", [True, False])
def test_get_on_every_link_in_every_reminder_changes_nothing(
    make_contract, client, settings, language, auto_renew
):
    settings.SITE_URL = "http://testserver"
    contract = make_contract(30, language=language, notify_sms=True, notify_in_app=True)
    contract.auto_renew = auto_renew
    contract.save()
    reminders_sweep(as_of=AS_OF)
    outbox_deliver_due()
    bodies = Message.objects.filter(contract=contract).values_list("body_text", "body_html")
    links = set()
    for text, html in bodies:
        links |= set(re.findall(r"http://testserver(/[^\s\"'<>]+)", text + html))
    assert any("/portal/act/renew/" in link for link in links)
    assert any("/portal/act/cancel/" in link for link in links)
    staff = Client()
    staff.force_login(contract.owner)  # before the snapshot: a login writes its own rows
    before = database_snapshot()

    for link in sorted(links):
        client.get(link)  # as a mail scanner would, logged out
        staff.get(link)  # and as someone logged in

    assert database_snapshot() == before

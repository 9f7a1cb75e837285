"""The notice period of Germany's open-ended successor on the staff and portal contract
pages: it has no fixed notice in days of its own (``notice_period_days`` 0: it ends at the
end of the running month when stopped), so the pages state what the rule gives the
customer, one month's notice at any time, never "0 days"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from contracts.models import Contract
from tests.factories import PortalAccountFactory, UserFactory
from tests.lifecycle.test_compliance_renewal import (
    UTC,
    _contract,
    _local,
    _notice,
    _run,
    shipped_rules_seed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def successor(db):
    shipped_rules_seed()
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        contract = _contract("DE", start=dt.date(2026, 3, 1), end=dt.date(2027, 2, 28))
        _notice(contract, at=_local(dt.date(2027, 2, 1), "Europe/Berlin"))
        assert _run(contract).auto_renewed == 1
    return Contract.objects.get(predecessor=contract)


def _notice_period(html: str) -> str:
    match = re.search(r'<dd[^>]*id="notice-period"[^>]*>(.*?)</dd>', html, re.S)
    assert match, "no notice period on the page"
    return " ".join(match.group(1).split())


def test_the_staff_page_states_the_open_ended_notice(client, successor):
    assert successor.notice_period_days == 0
    with time_machine.travel(dt.datetime(2027, 3, 5, 9, tzinfo=UTC), tick=False):
        client.force_login(successor.customer.account_manager)
        html = client.get(reverse("contracts:detail", args=[successor.pk])).content.decode()
    assert _notice_period(html) == "1 month's notice, at any time (open-ended)"


def test_the_portal_page_states_it_in_the_customers_language(client, successor):
    user = UserFactory(language="zh-hans")
    PortalAccountFactory(user=user, customer=successor.customer)
    with (
        time_machine.travel(dt.datetime(2027, 3, 5, 9, tzinfo=UTC), tick=False),
        translation.override("zh-hans"),
    ):
        client.force_login(user)
        response = client.get(
            reverse("portal:contract-detail", args=[successor.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 200
    assert _notice_period(response.content.decode()) == "随时可终止，提前 1 个月通知（不定期合同）"


def test_a_fixed_term_contract_keeps_its_days(client, successor):
    predecessor = successor.predecessor
    with time_machine.travel(dt.datetime(2027, 3, 5, 9, tzinfo=UTC), tick=False):
        client.force_login(predecessor.customer.account_manager)
        html = client.get(reverse("contracts:detail", args=[predecessor.pk])).content.decode()
    assert _notice_period(html) == "30 days"

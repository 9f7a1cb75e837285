"""The staff contract page of a contract already renewed (the walk: HT-2024-000001, renewed
automatically into HT-2025-000002): the Renewal card names the successor (it said "No
renewal." while the summary said "Renewed by …"), saying so when the automatic renewal made
it, and the "Auto-renews" badge shows only on a contract still running."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from contracts.models import ContractEvent, ContractStatus
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

S = ContractStatus


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def renewed(manager):
    customer = CustomerFactory(account_manager=manager)
    old = ContractFactory(
        customer=customer,
        number="HT-2024-000001",
        status=S.RENEWED,
        auto_renew=True,
        start_date=dt.date(2024, 12, 30),
        end_date=dt.date(2025, 12, 29),
    )
    new = ContractFactory(
        customer=customer,
        number="HT-2025-000002",
        status=S.ACTIVE,
        auto_renew=True,
        predecessor=old,
        start_date=dt.date(2025, 12, 30),
        end_date=dt.date(2026, 12, 29),
    )
    return old, new


def _page(client, manager, contract, language="en"):
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    return client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Renewed automatically by"),
        ("zh-hans", "已自动续约，新合同"),
    ],
)
def test_the_renewal_card_of_an_automatically_renewed_contract_names_its_successor(
    client, manager, renewed, language, said
):
    old, new = renewed
    ContractEvent.objects.create(
        contract=old, kind="auto_renewed", payload={"successor": new.number}
    )
    body = _page(client, manager, old, language)
    card = body.split('id="contract-renewal"', 1)[1]

    renewed_by = card.split('id="contract-renewed-by"', 1)[1].split("</p>", 1)[0]
    assert said in renewed_by
    assert f'href="{reverse("contracts:detail", args=[new.pk])}">{new.number}</a>' in renewed_by
    assert "No renewal." not in card and "无续约。" not in card


def test_a_contract_renewed_otherwise_names_its_successor_too(client, manager, renewed):
    old, new = renewed
    body = _page(client, manager, old)

    renewed_by = body.split('id="contract-renewed-by"', 1)[1].split("</p>", 1)[0]
    assert "Renewal contract:" in renewed_by and new.number in renewed_by
    assert "automatically" not in renewed_by


def test_the_auto_renews_badge_shows_only_on_a_contract_still_running(client, manager, renewed):
    old, new = renewed
    assert 'id="auto-renews-badge"' not in _page(client, manager, old)
    assert 'id="auto-renews-badge"' in _page(client, manager, new)


def test_a_contract_without_a_successor_still_offers_a_renewal_case(client, manager, renewed):
    _old, new = renewed
    body = _page(client, manager, new)
    assert 'id="contract-renewed-by"' not in body
    assert reverse("renewals:open", args=[new.pk]) in body

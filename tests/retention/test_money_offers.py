"""Retention offers' "revenue kept" is summed per currency: an offer accepted on a CNY and
on a USD contract keeps "CNY 11,000.00 · USD 11,000.00", never 22,000 of nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.money import MoneyTotals
from retention import selectors, services
from retention.models import RetentionOffer
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

TITLE = {"en": "Retention offers", "zh-hans": "挽留优惠"}


@pytest.fixture
def free_month(customer, portal_user, today):
    """One free month accepted on a 12,000 CNY and on a 12,000 USD yearly contract (each
    keeps the next year less the month given: 11,000), declined on another USD one."""
    offer = RetentionOffer.objects.create(
        code="FREE1", title="One month free", kind="free_months", months=1, reasons=[], tiers=[]
    )
    for currency, accept in (("CNY", True), ("USD", True), ("USD", False)):
        contract = ContractFactory(
            customer=customer,
            currency=currency,
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
            total_amount=Decimal("12000.00"),
            annual_value=Decimal("12000.00"),
        )
        request = services.cancellation_submit(
            contract=contract, by=portal_user, kind="non_renewal", reason="price"
        )
        if accept:
            services.cancellation_offer_accept(request=request, by=portal_user)
        else:
            services.cancellation_continue(request=request, by=portal_user)
    return offer


def test_revenue_kept_is_summed_per_currency(free_month):
    [stats] = selectors.offer_stats(RetentionOffer.objects.filter(pk=free_month.pk))
    assert (stats.shown, stats.accepted, stats.declined) == (3, 2, 1)
    assert stats.revenue_saved == MoneyTotals(
        {"CNY": Decimal("11000.00"), "USD": Decimal("11000.00")}
    )


def test_an_offer_never_accepted_kept_nothing(free_month):
    other = RetentionOffer.objects.create(code="UNUSED", title="Unused", kind="free_months")
    stats = {s.offer.code: s for s in selectors.offer_stats()}
    assert stats[other.code].revenue_saved == MoneyTotals()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_offers_page_shows_revenue_kept_per_currency(client, team_lead, free_month, language):
    client.force_login(team_lead)
    client.cookies["django_language"] = language
    response = client.get(reverse("retention:offers"))
    assert response.status_code == 200
    body = response.content.decode()
    assert TITLE[language] in body
    assert "CNY 11,000.00 · USD 11,000.00" in body
    assert "22,000.00" not in body


def test_the_admin_offer_list_shows_revenue_kept_per_currency(free_month, admin_client):
    response = admin_client.get(reverse("admin:retention_retentionoffer_changelist"))

    assert response.status_code == 200
    assert "CNY 11,000.00 · USD 11,000.00" in response.content.decode()

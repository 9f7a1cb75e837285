"""A member's privileges on renewal quotes: the level's renewal discount and a redeemed
reward come off the first quote automatically, with the reason on the quote's pages and
PDF; a customer without a level gets the quote as before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.template.loader import render_to_string
from django.utils import translation

from loyalty import services
from loyalty.models import EntryKind, PointsEntry, QuoteBenefit
from renewals.selectors import quote_diff
from renewals.services import case_open, quote_create
from tests.factories import ContractFactory, StaffFactory

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def contract(customer):
    return ContractFactory(
        customer=customer,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        total_amount=Decimal("12000.00"),
    )


def _points(customer, points, on=dt.date(2026, 6, 1)):
    PointsEntry.objects.create(
        customer=customer, kind=EntryKind.ADJUST, points=points, on=on, reason="test"
    )


def _quote(contract):
    with time_machine.travel(TODAY, tick=False):
        case, _ = case_open(contract=contract, by=StaffFactory())
        return quote_create(case=case, by=None)


def test_a_customer_without_a_level_gets_the_quote_as_before(contract, levels):
    quote = _quote(contract)
    assert quote.discount_percent == Decimal("0")
    assert quote.total == quote.subtotal
    assert not QuoteBenefit.objects.exists()


def test_a_gold_member_gets_the_level_discount_with_its_reason(contract, customer, levels):
    _points(customer, 1200)
    quote = _quote(contract)
    assert quote.discount_percent == Decimal("5")
    assert quote.discount_amount == Decimal("600.00")
    assert quote.total == Decimal("11400.00")
    benefit = QuoteBenefit.objects.get(quote_ref=quote.number)
    with translation.override("en"):
        assert benefit.reason == "5% off: member renewal discount (Gold)"
    with translation.override("zh-hans"):
        assert "金卡" in benefit.reason


def test_a_redeemed_renewal_discount_adds_to_the_level_and_is_used_once(
    contract, customer, levels, discount_reward
):
    _points(customer, 800)  # silver: 3%
    redemption = services.reward_redeem(
        customer=customer, reward=discount_reward, on=dt.date(2026, 11, 1)
    )
    quote = _quote(contract)
    assert quote.discount_percent == Decimal("5")  # 3% level + 2% reward
    redemption.refresh_from_db()
    assert redemption.used_quote_ref == quote.number
    # applying again for the same quote changes nothing and uses nothing more
    again = services.quote_benefits_apply(
        customer=customer, quote_ref=quote.number, on=dt.date(2026, 11, 21)
    )
    assert again.discount_percent == Decimal("5")
    assert QuoteBenefit.objects.filter(quote_ref=quote.number).count() == 2


def test_the_reason_is_shown_in_the_quote_difference_table(contract, customer, levels):
    _points(customer, 1200)
    quote = _quote(contract)
    with translation.override("en"):
        html = render_to_string(
            "renewals/_diff_table.html", {"quote": quote, "diff": quote_diff(quote=quote)}
        )
    assert "Member benefit" in html
    assert "5% off: member renewal discount (Gold)" in html


def test_a_level_whose_name_says_member_is_not_said_twice(contract, customer, levels):
    # given a level named as the demo names them: "银卡会员" / "Silver member"
    silver = levels["silver"]
    silver.name, silver.name_en = "银卡会员", "Silver member"
    silver.save()
    _points(customer, 800)
    # when the quote takes its renewal discount
    quote = _quote(contract)
    benefit = QuoteBenefit.objects.get(quote_ref=quote.number)
    # then the reason names the level once, in brackets
    with translation.override("en"):
        assert benefit.reason == "3% off: member renewal discount (Silver member)"
    with translation.override("zh-hans"):
        assert benefit.reason == "优惠 3%：会员续约折扣（银卡会员）"

"""The demo's renewal quotes get the members' loyalty benefits as real ones do (the
programme and the points exist before the showcase makes its quotes); the extra
service's line says "free" once; the demo's redemption is dated like its ledger row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from customers.models import Contact
from loyalty.models import EntryKind, PointsEntry, Privilege, QuoteBenefit, Redemption
from loyalty.selectors import level_renewal_discount, member_level
from renewals.models import Quote

pytestmark = pytest.mark.django_db

# The day the demo was seeded when the mismatch was seen (QT-2026-000001 without its 3 %).
NOW = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def _seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_the_demo_quotes_of_members_carry_their_level_benefits():
    _seed()

    quotes = list(Quote.objects.select_related("case__contract__customer"))
    members = 0
    for quote in quotes:
        customer = quote.case.contract.customer
        level = member_level(customer=customer, on=TODAY)
        discount = level_renewal_discount(level=level)
        if discount is None:
            continue
        members += 1
        benefit = QuoteBenefit.objects.get(quote_ref=quote.number, privilege=discount)
        assert quote.discount_percent >= benefit.discount_percent > 0
        assert quote.discount_amount > 0
    assert members, [q.case.contract.customer.code for q in quotes]


def test_the_demo_silver_member_sees_her_discount_on_her_pending_quote():
    _seed()

    contact = Contact.objects.filter(email="zihan.zhao79@example.cn").first()
    if contact is None:
        pytest.skip("the default demo has no such customer on this day")
    quote = Quote.objects.filter(case__contract__customer=contact.customer).first()
    assert quote is not None
    assert QuoteBenefit.objects.filter(quote_ref=quote.number).exists()
    assert quote.discount_percent == Decimal("3")


def test_the_demo_extra_service_line_says_free_once():
    _seed("--customers", "4", "--contracts", "4")

    for privilege in Privilege.objects.filter(kind="extra_service"):
        assert "免费" not in privilege.description
        assert "free" not in privilege.description_en.lower()


def test_the_demo_redemption_is_dated_like_its_ledger_row():
    _seed()

    redemption = Redemption.objects.get()
    entry = PointsEntry.objects.get(redemption=redemption)
    assert timezone.localdate(redemption.created_at) == entry.on < TODAY
    assert timezone.localdate(entry.created_at) == entry.on
    adjustment = PointsEntry.objects.get(kind=EntryKind.ADJUST)
    assert timezone.localdate(adjustment.created_at) == adjustment.on


def test_the_demo_ledger_reasons_read_in_each_language():
    _seed("--customers", "6", "--contracts", "12")

    entry = PointsEntry.objects.filter(kind=EntryKind.EARN).exclude(reason_code="").first()
    assert entry is not None
    assert not PointsEntry.objects.filter(kind=EntryKind.EARN, reason_code="").exists()
    with translation.override("en"):
        english = entry.display_reason
    with translation.override("zh-hans"):
        chinese = entry.display_reason
    assert english != chinese and english.isascii()

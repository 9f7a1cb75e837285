"""The demo's loyalty programme (core/demo/loyalty_programme.py): a catalogue, and a
ledger that agrees with what the real earnings and the expiry sweep would have written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Sum

from billing.models import Invoice
from customers.models import Customer
from loyalty.models import EarnRule, EntryKind, Level, PointsEntry, Privilege, Redemption, Reward
from loyalty.selectors import member_level, points_available, points_due_to_expire
from loyalty.services import points_on_invoice_paid
from loyalty.sweeps import expiry_sweep

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def _seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_it_seeds_rules_levels_with_privileges_and_rewards_once():
    _seed("--customers", "6", "--contracts", "12")
    counts = (EarnRule.objects.count(), Level.objects.count(), Privilege.objects.count())

    _seed("--customers", "2", "--contracts", "2")

    assert counts == (4, 3, 6)
    assert (EarnRule.objects.count(), Level.objects.count(), Privilege.objects.count()) == counts
    assert {r.trigger for r in EarnRule.objects.all()} == {
        "on_time_payment",
        "renewal",
        "tenure",
        "referral",
    }
    assert Reward.objects.filter(is_active=True).count() == 3
    for level in Level.objects.all():
        assert level.name and level.name_en
        assert level.privileges.filter(kind="renewal_discount", discount_percent__gt=0).exists()


def test_the_demo_customers_have_a_ledger_with_earnings_expiries_and_a_redemption():
    _seed()

    entries = PointsEntry.objects.all()
    kinds = set(entries.values_list("kind", flat=True))
    assert {EntryKind.EARN, EntryKind.EXPIRE, EntryKind.REDEEM, EntryKind.ADJUST} <= kinds
    # Earnings only since the launch, 18 months ago, and none in the future.
    assert not entries.filter(on__gt=TODAY).exists()
    assert not entries.filter(kind="earn", on__lte=dt.date(2024, 12, 15)).exists()
    # Someone reached a level, and the showcase (portal) customers took the redemption.
    assert any(member_level(customer=c, on=TODAY) for c in Customer.objects.all())
    redemption = Redemption.objects.get()
    assert redemption.customer.portal_accounts.exists()
    assert PointsEntry.objects.get(redemption=redemption).points == -redemption.points


def test_the_ledger_is_what_the_sweep_and_the_reactions_would_leave():
    _seed("--customers", "12", "--contracts", "40", "--seed", "5")

    # Nothing is left for today's expiry sweep, and no balance is below zero.
    assert expiry_sweep(on=TODAY).entries == 0
    for customer in Customer.objects.all():
        assert points_due_to_expire(customer=customer, on=TODAY) == 0
        assert points_available(customer=customer, on=TODAY) >= 0
        total = PointsEntry.objects.filter(customer=customer).aggregate(s=Sum("points"))["s"]
        assert (total or 0) >= 0
    # The reaction for an invoice the demo already credited earns nothing twice.
    key = PointsEntry.objects.filter(dedupe_key__startswith="on-time-payment:invoice:")
    number = key.values_list("dedupe_key", flat=True).first().split(":", 2)[2]
    assert Invoice.objects.filter(number=number, paid_at__isnull=False).exists()
    assert points_on_invoice_paid(invoice_number=number) == []
    # An invoice paid after its due date earned nothing.
    late = [
        inv.number
        for inv in Invoice.objects.filter(paid_at__isnull=False)
        if inv.paid_at.date() > inv.due_date + dt.timedelta(days=1)
    ]
    assert late
    assert not PointsEntry.objects.filter(
        dedupe_key__in=[f"on-time-payment:invoice:{n}" for n in late]
    ).exists()

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contracts.customer_tiers import customer_tiers_recompute
from contracts.models import ContractStatus
from customers.models import Customer, TierSettings
from customers.services import customer_set_tier_override
from lifecycle.tier_tasks import recompute_tiers_task
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def _contract(customer, value, *, status=ContractStatus.ACTIVE, currency="CNY", **dates):
    return ContractFactory(
        customer=customer,
        status=status,
        currency=currency,
        annual_value=Decimal(value),
        total_amount=Decimal(value),
        start_date=dates.get("start_date", TODAY - dt.timedelta(days=100)),
        end_date=dates.get("end_date", TODAY + dt.timedelta(days=200)),
    )


@pytest.fixture
def thresholds():
    settings = TierSettings.load()
    settings.a_min = Decimal("100000")
    settings.b_min = Decimal("20000")
    settings.save()
    return settings


def test_it_sums_active_annual_value_per_customer_into_abc(thresholds):
    big, middle, small, none = CustomerFactory.create_batch(4)
    _contract(big, "60000")
    _contract(big, "40000")  # exactly the A threshold
    _contract(middle, "20000")  # exactly the B threshold
    _contract(small, "19999.99")

    result = customer_tiers_recompute(as_of=TODAY)

    tiers = dict(Customer.objects.values_list("pk", "tier"))
    assert tiers == {big.pk: "A", middle.pk: "B", small.pk: "C", none.pk: "C"}
    assert result.counts == {"A": 1, "B": 1, "C": 2}
    assert result.changed == 2  # every customer starts as C


def test_it_ignores_contracts_that_are_not_active_or_not_in_force(thresholds):
    customer = CustomerFactory()
    for status in [
        ContractStatus.DRAFT,
        ContractStatus.AWAITING_PAYMENT,
        ContractStatus.SCHEDULED,
        ContractStatus.EXPIRED,
        ContractStatus.RENEWED,
        ContractStatus.TERMINATED,
        ContractStatus.VOID,
    ]:
        _contract(customer, "500000", status=status)
    _contract(customer, "500000", end_date=TODAY - dt.timedelta(days=1))
    _contract(customer, "500000", start_date=TODAY + dt.timedelta(days=1))

    customer_tiers_recompute(as_of=TODAY)

    customer.refresh_from_db()
    assert customer.tier == "C"


def test_it_moves_customers_down_as_well_as_up(thresholds):
    customer = CustomerFactory(tier="A")
    _contract(customer, "30000")

    result = customer_tiers_recompute(as_of=TODAY)

    customer.refresh_from_db()
    assert customer.tier == "B"
    assert result.changed == 1


def test_it_keeps_a_manual_override_as_the_effective_tier(thresholds, manager):
    customer = CustomerFactory()
    customer_set_tier_override(customer=customer, by=manager, tier="A", reason="Strategic")
    _contract(customer, "100")

    result = customer_tiers_recompute(as_of=TODAY)

    customer.refresh_from_db()
    assert customer.tier == "C"
    assert customer.tier_override == "A"
    assert customer.effective_tier == "A"
    assert customer.tier_override_by == manager
    assert customer.tier_override_reason == "Strategic"
    assert result.overridden == 1


def test_it_converts_other_currencies_and_reports_those_without_a_rate(thresholds):
    thresholds.fx_rates = {"USD": "7.00"}
    thresholds.save()
    usd, eur = CustomerFactory.create_batch(2)
    _contract(usd, "15000", currency="USD")  # 105,000 CNY
    _contract(eur, "15000", currency="EUR")  # no rate: left out

    result = customer_tiers_recompute(as_of=TODAY)

    usd.refresh_from_db()
    eur.refresh_from_db()
    assert (usd.tier, eur.tier) == ("A", "C")
    assert result.skipped_currencies == ("EUR",)


def test_it_uses_the_thresholds_from_the_settings(thresholds):
    customer = CustomerFactory()
    _contract(customer, "5000")
    thresholds.a_min = Decimal("5000")
    thresholds.b_min = Decimal("1000")
    thresholds.save()

    customer_tiers_recompute(as_of=TODAY)

    customer.refresh_from_db()
    assert customer.tier == "A"


def test_it_runs_a_constant_number_of_queries(thresholds, django_assert_max_num_queries):
    for customer in CustomerFactory.create_batch(30):
        _contract(customer, "25000")

    with django_assert_max_num_queries(12):
        customer_tiers_recompute(as_of=TODAY)

    assert set(Customer.objects.values_list("tier", flat=True)) == {"B"}


def test_it_records_when_tiers_were_last_recomputed(thresholds):
    customer_tiers_recompute(as_of=TODAY)

    thresholds.refresh_from_db()
    assert thresholds.last_recomputed_at is not None


def test_the_task_recomputes_tiers_as_of_today(thresholds, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 15, 3, 0, tzinfo=dt.UTC))
    customer = CustomerFactory()
    _contract(customer, "150000")

    recompute_tiers_task()

    customer.refresh_from_db()
    assert customer.tier == "A"


def test_tier_settings_refuse_an_a_threshold_below_b(thresholds):
    thresholds.a_min = Decimal("10")
    thresholds.b_min = Decimal("20")
    with pytest.raises(ValidationError):
        thresholds.full_clean()


@pytest.mark.parametrize("rates", [{"USD": "-1"}, {"USD": "abc"}, {"DOLLAR": "7"}, ["USD"]])
def test_tier_settings_refuse_bad_exchange_rates(thresholds, rates):
    thresholds.fx_rates = rates
    with pytest.raises(ValidationError):
        thresholds.full_clean()


def test_the_task_is_registered_under_the_name_the_beat_schedule_uses():
    from notifications.schedule import BEAT_ENTRIES

    assert recompute_tiers_task.name in {entry.task for entry in BEAT_ENTRIES}

"""Indicators on a renewal quote and the values measured on the contract it became."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts.models import ContractStatus
from core.errors import DomainError
from relations.models import ClaimStatus, CompensationClaim, ServiceIndicator, ServiceMeasurement
from relations.service_levels import (
    compensation_by_rule,
    compensation_due,
    contract_service_levels,
    indicator_add,
    indicator_remove,
    indicators_for_contract,
    measurement_record,
)
from renewals.models import Quote, QuoteStatus

from .sla_world import agreed, renewal, sign, uptime_spec

pytestmark = pytest.mark.django_db
D = dt.date


def test_an_indicator_is_added_to_a_draft_quote_with_its_direction():
    world = renewal()
    uptime = indicator_add(quote=world["quote"], spec=uptime_spec(), by=world["manager"])
    response = indicator_add(
        quote=world["quote"],
        spec=uptime_spec(
            kind="response_hours",
            target=Decimal("4"),
            compensation_rule="fixed_per_breach",
            compensation_value=Decimal("200"),
        ),
    )
    assert uptime.direction == "at_least" and uptime.created_by == world["manager"]
    assert response.direction == "at_most"
    assert response.target_text == "4" and uptime.target_text == "99.9"
    assert list(world["quote"].service_indicators.all()) == [uptime, response]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "custom"}, "Give the indicator a name."),
        ({"kind": "custom", "name": "Tickets"}, "at most or at least"),
        ({"target": Decimal("100.5")}, "between 0 and 100"),
        ({"target": Decimal("-1"), "kind": "response_hours"}, "cannot be negative"),
        ({"compensation_value": Decimal("120")}, "at most 100"),
        ({"compensation_value": Decimal("0")}, "greater than zero"),
        ({"compensation_cap": Decimal("0")}, "cap must be greater than zero"),
        ({"period": "weekly"}, "how often"),
        ({"target": "abc"}, "must be a number"),
    ],
)
def test_a_bad_indicator_is_refused_with_a_clear_message(overrides, message):
    world = renewal()
    with pytest.raises(DomainError, match=message):
        indicator_add(quote=world["quote"], spec=uptime_spec(**overrides))
    assert not ServiceIndicator.objects.exists()


def test_a_custom_indicator_chooses_its_direction():
    world = renewal()
    custom = indicator_add(
        quote=world["quote"],
        spec=uptime_spec(
            kind="custom",
            name="Same-day answers",
            unit="%",
            direction="at_least",
            target=Decimal("95"),
        ),
    )
    assert custom.label == "Same-day answers" and custom.unit_label == "%"
    assert custom.is_met(Decimal("95")) and not custom.is_met(Decimal("94.999"))


@pytest.mark.parametrize("status", [QuoteStatus.SENT, QuoteStatus.SIGNED, QuoteStatus.WITHDRAWN])
def test_a_quote_that_is_not_a_draft_keeps_its_indicators(status):
    world = renewal()
    indicator = indicator_add(quote=world["quote"], spec=uptime_spec())
    Quote.objects.filter(pk=world["quote"].pk).update(status=status)
    with pytest.raises(DomainError, match="only while the quote is a draft"):
        indicator_add(quote=world["quote"], spec=uptime_spec())
    with pytest.raises(DomainError, match="only while the quote is a draft"):
        indicator_remove(indicator=indicator)
    assert ServiceIndicator.objects.count() == 1


def test_indicators_apply_to_the_successor_once_the_quote_is_signed():
    world = renewal()
    indicator = indicator_add(quote=world["quote"], spec=uptime_spec())
    assert list(indicators_for_contract(world["successor"])) == []
    sign(world["quote"])
    assert list(indicators_for_contract(world["successor"])) == [indicator]
    assert list(indicators_for_contract(world["predecessor"])) == []


def test_a_value_below_the_uptime_target_is_a_breach_and_at_the_target_is_met():
    world = renewal()
    indicator = agreed(world)
    feb = measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 2, 1),
        value=Decimal("99.5"),
        as_of=D(2028, 3, 1),
        by=world["manager"],
    )
    jan = measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 1, 1),
        value=Decimal("99.9"),
        as_of=D(2028, 3, 1),
    )
    assert (feb.period_start, feb.period_end, feb.breached) == (D(2028, 2, 1), D(2028, 2, 29), True)
    assert (jan.period_end, jan.breached) == (D(2028, 1, 31), False)


def test_a_response_time_above_its_target_is_a_breach():
    world = renewal()
    indicator = agreed(
        world, uptime_spec(kind="response_hours", target=Decimal("4"), period="quarterly")
    )
    q1 = measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 1, 1),
        value=Decimal("4.5"),
        as_of=D(2028, 3, 31),
    )
    assert (q1.period_end, q1.breached) == (D(2028, 3, 31), True)


def test_a_period_is_recorded_once():
    world = renewal()
    indicator = agreed(world)
    kwargs = {
        "contract": world["successor"],
        "indicator": indicator,
        "period_start": D(2028, 2, 1),
        "as_of": D(2028, 3, 1),
    }
    measurement_record(value=Decimal("99"), **kwargs)
    with pytest.raises(DomainError, match="already recorded"):
        measurement_record(value=Decimal("100"), **kwargs)
    assert ServiceMeasurement.objects.get().value == Decimal("99")


@pytest.mark.parametrize(
    ("period_start", "as_of", "message"),
    [
        (D(2028, 2, 15), D(2028, 3, 1), "measurement periods"),  # not a period's first day
        (D(2029, 1, 1), D(2029, 2, 1), "measurement periods"),  # after the term
        (D(2028, 3, 1), D(2028, 2, 29), "not begun"),  # tomorrow's period on a leap day
    ],
)
def test_a_period_outside_the_term_or_not_begun_is_refused(period_start, as_of, message):
    world = renewal()
    indicator = agreed(world)
    with pytest.raises(DomainError, match=message):
        measurement_record(
            contract=world["successor"],
            indicator=indicator,
            period_start=period_start,
            value=Decimal("99"),
            as_of=as_of,
        )


def test_a_contract_not_started_or_without_the_indicator_is_refused():
    world = renewal(successor_status=ContractStatus.SCHEDULED)
    indicator = agreed(world)
    with pytest.raises(DomainError, match="term has started"):
        measurement_record(
            contract=world["successor"],
            indicator=indicator,
            period_start=D(2028, 1, 1),
            value=Decimal("1"),
            as_of=D(2028, 2, 1),
        )
    other = renewal()
    with pytest.raises(DomainError, match="not agreed for this contract"):
        measurement_record(
            contract=other["successor"],
            indicator=indicator,
            period_start=D(2028, 1, 1),
            value=Decimal("1"),
            as_of=D(2028, 2, 1),
        )


def test_a_negative_or_non_numeric_value_is_refused():
    world = renewal()
    indicator = agreed(world)
    for value, message in ((Decimal("-1"), "cannot be negative"), ("NaN", "must be a number")):
        with pytest.raises(DomainError, match=message):
            measurement_record(
                contract=world["successor"],
                indicator=indicator,
                period_start=D(2028, 1, 1),
                value=value,
                as_of=D(2028, 2, 1),
            )


def test_the_compensation_is_the_rule_within_what_is_left_of_the_cap():
    # 10% of a leap February's fee (29 days at 100 a day) is 290; the cap is 1,000
    world = renewal()
    indicator = agreed(world)
    feb = measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 2, 1),
        value=Decimal("98"),
        as_of=D(2028, 3, 1),
    )
    assert compensation_by_rule(feb) == Decimal("290.00")
    assert compensation_due(feb) == Decimal("290.00")
    # after 800 already approved for another breach of the term, 200 is left
    jan = measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 1, 1),
        value=Decimal("98"),
        as_of=D(2028, 3, 1),
    )
    CompensationClaim.objects.create(
        measurement=jan,
        contract=world["successor"],
        customer=world["customer"],
        reason="x",
        status=ClaimStatus.CREDITED,
        amount=Decimal("800.00"),
    )
    assert compensation_due(feb) == Decimal("200.00")


def test_a_fixed_amount_per_breach_ignores_the_fee_and_a_met_period_pays_nothing():
    world = renewal()
    indicator = agreed(
        world,
        uptime_spec(compensation_rule="fixed_per_breach", compensation_value=Decimal("150")),
    )
    kwargs = {"contract": world["successor"], "indicator": indicator, "as_of": D(2028, 3, 1)}
    breach = measurement_record(period_start=D(2028, 2, 1), value=Decimal("90"), **kwargs)
    met = measurement_record(period_start=D(2028, 1, 1), value=Decimal("100"), **kwargs)
    assert compensation_due(breach) == Decimal("150.00")
    assert compensation_due(met) == Decimal("0.00")


def test_the_contract_rows_list_measurements_and_the_periods_still_to_record():
    world = renewal()
    indicator = agreed(world)
    measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 1, 1),
        value=Decimal("99.95"),
        as_of=D(2028, 3, 15),
    )
    [row] = contract_service_levels(contract=world["successor"], as_of=D(2028, 3, 15))
    assert row.indicator == indicator
    assert [m.period_start for m in row.measurements] == [D(2028, 1, 1)]
    assert [p.label for p in row.open_periods] == ["2028-02", "2028-03"]

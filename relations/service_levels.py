"""Service indicators on a renewal quote and the values measured on the contract it became.

- Staff add indicators to a quote while it is a draft (sending it freezes them with the
  offer the customer signs); the quote row lock orders an addition against a send.
- The indicators apply to the successor contract of the quote's case once the quote is
  signed and the contract has started (``indicators_for_contract``).
- A value is recorded once per (contract, indicator, period); the period is a calendar
  month or quarter cut to the term and must have begun. Breached = the value misses the
  target in the indicator's direction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractStatus
from core.errors import DomainError
from core.money import money
from renewals.models import Quote, QuoteStatus

from .service_level_models import (
    KIND_DIRECTION,
    ClaimStatus,
    CompensationClaim,
    CompensationRule,
    Direction,
    IndicatorKind,
    MeasurePeriod,
    ServiceIndicator,
    ServiceMeasurement,
)
from .service_periods import Period, period_containing, period_fee, periods_of_term

# A contract whose term has started: its periods can be measured (also after it ended).
STARTED_STATUSES = (
    ContractStatus.ACTIVE,
    ContractStatus.RENEWED,
    ContractStatus.EXPIRED,
    ContractStatus.TERMINATED,
)
MAX_VALUE = Decimal("999999999")


@dataclass(frozen=True)
class IndicatorSpec:
    kind: str
    target: Decimal
    period: str
    compensation_rule: str
    compensation_value: Decimal
    compensation_cap: Decimal
    name: str = ""
    unit: str = ""
    direction: str = ""


def _decimal(value: Any, message: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(message) from exc
    if not number.is_finite() or abs(number) > MAX_VALUE:
        raise DomainError(message)
    return number


def _checked(spec: IndicatorSpec) -> IndicatorSpec:
    """The spec with its direction decided, or a DomainError saying what is wrong."""
    if spec.kind not in IndicatorKind.values:
        raise DomainError(_("Choose an indicator."))
    if spec.period not in MeasurePeriod.values:
        raise DomainError(_("Choose how often the indicator is measured."))
    if spec.compensation_rule not in CompensationRule.values:
        raise DomainError(_("Choose how a breach is compensated."))
    name = spec.name.strip()
    direction = KIND_DIRECTION.get(IndicatorKind(spec.kind), spec.direction)
    if spec.kind == IndicatorKind.CUSTOM:
        if not name:
            raise DomainError(_("Give the indicator a name."))
        if direction not in Direction.values:
            raise DomainError(_("Say whether the value must be at most or at least the target."))
    target = _decimal(spec.target, _("The target must be a number."))
    if target < 0:
        raise DomainError(_("The target cannot be negative."))
    if spec.kind == IndicatorKind.UPTIME_PERCENT and target > 100:
        raise DomainError(_("An uptime target is a percentage between 0 and 100."))
    value = _decimal(spec.compensation_value, _("The compensation must be a number."))
    cap = _decimal(spec.compensation_cap, _("The cap must be an amount."))
    if value <= 0:
        raise DomainError(_("The compensation must be greater than zero."))
    if spec.compensation_rule == CompensationRule.PERCENT_OF_FEE and value > 100:
        raise DomainError(_("A percentage of the fee is at most 100."))
    if cap <= 0:
        raise DomainError(_("The cap must be greater than zero."))
    return IndicatorSpec(
        kind=spec.kind,
        target=target,
        period=spec.period,
        compensation_rule=spec.compensation_rule,
        compensation_value=money(value),
        compensation_cap=money(cap),
        name=name[:120],
        unit=spec.unit.strip()[:20] if spec.kind == IndicatorKind.CUSTOM else "",
        direction=direction,
    )


def _draft_quote_locked(quote: Quote) -> Quote:
    locked = Quote.objects.select_for_update().get(pk=quote.pk)
    if locked.status != QuoteStatus.DRAFT:
        raise DomainError(
            _(
                "Service levels can be changed only while the quote is a draft: edit the "
                "quote (it goes back to draft) and send it again."
            )
        )
    return locked


def indicator_add(*, quote: Quote, spec: IndicatorSpec, by: Any = None) -> ServiceIndicator:
    checked = _checked(spec)
    with transaction.atomic():
        locked = _draft_quote_locked(quote)
        return ServiceIndicator.objects.create(
            quote=locked,
            kind=checked.kind,
            name=checked.name,
            unit=checked.unit,
            direction=checked.direction,
            target=checked.target,
            period=checked.period,
            compensation_rule=checked.compensation_rule,
            compensation_value=checked.compensation_value,
            compensation_cap=checked.compensation_cap,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )


def indicator_remove(*, indicator: ServiceIndicator) -> None:
    with transaction.atomic():
        _draft_quote_locked(indicator.quote)
        if indicator.measurements.exists():
            raise DomainError(_("This indicator has measurements and stays."))
        indicator.delete()


def indicators_for_contract(contract: Contract) -> QuerySet[ServiceIndicator]:
    """The indicators agreed for ``contract``: those of the signed quote it came from."""
    return ServiceIndicator.objects.filter(
        quote__case__successor=contract, quote__status=QuoteStatus.SIGNED
    ).order_by("id")


def indicator_periods(
    *, indicator: ServiceIndicator, contract: Contract, as_of: dt.date
) -> list[Period]:
    return periods_of_term(
        kind=indicator.period,
        term_start=contract.start_date,
        term_end=contract.end_date,
        started_by=as_of,
    )


def measurement_record(
    *,
    contract: Contract,
    indicator: ServiceIndicator,
    period_start: dt.date,
    value: Decimal,
    as_of: dt.date,
    by: Any = None,
    note: str = "",
) -> ServiceMeasurement:
    """Record the value of ``indicator`` for the period of ``contract`` that begins on
    ``period_start``. Once per period: a second value for it is refused."""
    if contract.status not in STARTED_STATUSES:
        raise DomainError(_("Measurements start when the contract's term has started."))
    if not indicators_for_contract(contract).filter(pk=indicator.pk).exists():
        raise DomainError(_("This indicator is not agreed for this contract."))
    number = _decimal(value, _("The measured value must be a number."))
    if number < 0:
        raise DomainError(_("The measured value cannot be negative."))
    period = period_containing(
        period_start,
        kind=indicator.period,
        term_start=contract.start_date,
        term_end=contract.end_date,
    )
    if period is None or period.start != period_start:
        raise DomainError(_("Choose one of the contract's measurement periods."))
    if period.start > as_of:
        raise DomainError(_("This period has not begun yet."))
    try:
        with transaction.atomic():
            return ServiceMeasurement.objects.create(
                contract=contract,
                indicator=indicator,
                period_start=period.start,
                period_end=period.end,
                value=number,
                breached=not indicator.is_met(number),
                note=note.strip()[:300],
                recorded_by=by if getattr(by, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("A value for %(indicator)s in %(period)s is already recorded.")
            % {"indicator": indicator.label, "period": period.label}
        ) from exc


def measurement_period(measurement: ServiceMeasurement) -> Period:
    return Period(
        start=measurement.period_start,
        end=measurement.period_end,
        kind=measurement.indicator.period,
    )


def compensation_by_rule(measurement: ServiceMeasurement) -> Decimal:
    """What the indicator's rule pays for this breached period, before the cap."""
    indicator = measurement.indicator
    if indicator.compensation_rule == CompensationRule.FIXED_PER_BREACH:
        return money(indicator.compensation_value)
    contract = measurement.contract
    fee = period_fee(
        term_total=contract.total_amount,
        term_days=contract.term_days,
        period=measurement_period(measurement),
    )
    return money(fee * indicator.compensation_value / 100)


def compensation_paid(*, indicator: ServiceIndicator, contract: Contract) -> Decimal:
    total = CompensationClaim.objects.filter(
        measurement__indicator=indicator,
        contract=contract,
        status__in=[ClaimStatus.APPROVED, ClaimStatus.CREDITED],
    ).aggregate(total=Sum("amount"))["total"]
    return money(total or 0)


def compensation_due(measurement: ServiceMeasurement) -> Decimal:
    """The most a claim for this breach may pay: the rule's amount, within what is left
    of the indicator's cap over the term after the claims already approved."""
    if not measurement.breached:
        return Decimal("0.00")
    left = measurement.indicator.compensation_cap - compensation_paid(
        indicator=measurement.indicator, contract=measurement.contract
    )
    return money(max(Decimal("0"), min(compensation_by_rule(measurement), left)))


@dataclass
class IndicatorRow:
    """One indicator of a contract with its measurements (each with its claim or None)."""

    indicator: ServiceIndicator
    measurements: list[ServiceMeasurement] = field(default_factory=list)
    open_periods: list[Period] = field(default_factory=list)


def contract_service_levels(*, contract: Contract, as_of: dt.date) -> list[IndicatorRow]:
    """The contract's indicators, their recorded periods and the begun periods without a
    value yet (for the staff form)."""
    measurements = (
        ServiceMeasurement.objects.filter(contract=contract)
        .select_related("indicator", "claim", "claim__credit_note")
        .order_by("period_start")
    )
    by_indicator: dict[int, list[ServiceMeasurement]] = {}
    for m in measurements:
        by_indicator.setdefault(m.indicator_id, []).append(m)
    rows = []
    for indicator in indicators_for_contract(contract):
        recorded = by_indicator.get(indicator.pk, [])
        done = {m.period_start for m in recorded}
        periods = (
            indicator_periods(indicator=indicator, contract=contract, as_of=as_of)
            if contract.status in STARTED_STATUSES
            else []
        )
        rows.append(
            IndicatorRow(
                indicator=indicator,
                measurements=recorded,
                open_periods=[p for p in periods if p.start not in done],
            )
        )
    return rows

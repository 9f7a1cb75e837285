"""Cancellation policy arithmetic: pure, typed functions with no database, clock or settings.

Conventions (the same everywhere in retention/):

* ``end_date`` of a contract is its last day of service (inclusive), as in contracts/.
* The **effective date** of a cancellation is the first day *without* the contract: the
  day the termination takes effect and the day the daily sweep completes it. The last
  day of service is therefore ``effective_date - 1 day``. A non-renewal takes effect the
  day after the term's end, so it never costs a fee and never refunds anything.
* An early termination may take effect from ``today + notice_days`` (notice 0 means
  immediately, i.e. today) up to the term's last day. When the notice runs past the end
  of the term, early termination is pointless: the contract ends sooner on its own, so
  only a non-renewal is offered.
* Used and remaining service are counted in days, so month ends and leap days need no
  special case: a term of 366 days values each day at total / 366.
* Money is ``Decimal`` rounded half-up to cents; floats are refused by core.money.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE_DAY = dt.timedelta(days=1)

# Request kinds.
NON_RENEWAL = "non_renewal"
EARLY_TERMINATION = "early_termination"

# Fee kinds and refund policies: the same values as contracts.models.FeeKind / RefundPolicy
# (a test keeps them in step), repeated here so this module imports nothing from Django.
FEE_NONE = "none"
FEE_FIXED = "fixed"
FEE_PERCENT_REMAINING = "percent_remaining"
FEE_PERIODS = "periods"
REFUND_NONE = "none"
REFUND_PRO_RATA = "pro_rata"

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


def to_money(value: Decimal | int) -> Decimal:
    if isinstance(value, float):  # pragma: no cover - a programming error
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(value, high))


# --- dates -------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def months_in_term(start: dt.date, end: dt.date) -> int:
    """Whole months covered by the inclusive range [start, end], rounded; at least 1.

    1 Jan–31 Dec is 12, 29 Feb 2024–28 Feb 2025 is 12, 31 Jan–28 Feb is 1.
    """
    after_end = end + ONE_DAY
    months = 0
    while add_months(start, months + 1) <= after_end:
        months += 1
    # Round the leftover days against the length of the next month.
    left = (after_end - add_months(start, months)).days
    next_len = (add_months(start, months + 1) - add_months(start, months)).days
    if left * 2 >= next_len:
        months += 1
    return max(1, months)


def term_days(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1


def earliest_effective_date(
    *, kind: str, today: dt.date, notice_days: int, term_end: dt.date
) -> dt.date | None:
    """The earliest day a cancellation can take effect, or None if that kind is not possible.

    Non-renewal: the day after the term's end (nothing is charged or refunded).
    Early termination: today plus the notice period (0 = immediately), if that is still
    within the term; otherwise None, because the contract ends sooner on its own.
    """
    if notice_days < 0:
        raise ValueError("notice_days must not be negative")
    if today > term_end:
        return None
    if kind == NON_RENEWAL:
        return term_end + ONE_DAY
    if kind == EARLY_TERMINATION:
        candidate = today + dt.timedelta(days=notice_days)
        return candidate if candidate <= term_end else None
    raise ValueError(f"unknown cancellation kind {kind!r}")


def effective_date_allowed(
    *,
    kind: str,
    effective_date: dt.date,
    today: dt.date,
    notice_days: int,
    term_end: dt.date,
) -> bool:
    """Whether staff may fix this effective date: not before the earliest, within the term."""
    earliest = earliest_effective_date(
        kind=kind, today=today, notice_days=notice_days, term_end=term_end
    )
    if earliest is None:
        return False
    if kind == NON_RENEWAL:
        return effective_date == earliest
    return earliest <= effective_date <= term_end


# --- money -------------------------------------------------------------------------------


def value_split(
    *, total: Decimal, start: dt.date, end: dt.date, effective_date: dt.date
) -> tuple[Decimal, Decimal]:
    """(used value, remaining value) of a term ending early on ``effective_date``.

    Used covers start .. effective_date - 1; remaining covers effective_date .. end.
    The two always add up to ``total`` exactly (the remainder takes the rounding).
    """
    days = term_days(start, end)
    used_days = min(max((effective_date - start).days, 0), days)
    remaining = to_money(total * Decimal(days - used_days) / Decimal(days))
    remaining = clamp(remaining, ZERO, to_money(total))
    return to_money(total) - remaining, remaining


def period_fee(*, total: Decimal, start: dt.date, end: dt.date, billing_period: str) -> Decimal:
    """The fee for one billing period: the term total spread over its periods."""
    months = months_in_term(start, end)
    per = PERIOD_MONTHS.get(billing_period, 1)
    periods = max(1, round(Decimal(months) / Decimal(per)))
    return to_money(total / Decimal(periods))


def early_termination_fee(
    *,
    fee_kind: str,
    fee_value: Decimal,
    remaining_value: Decimal,
    period_fee: Decimal,
) -> Decimal:
    """The fee, never negative and never more than the value of the service given up."""
    remaining_value = max(to_money(remaining_value), ZERO)
    value = max(Decimal(fee_value), Decimal(0))
    if fee_kind == FEE_NONE:
        fee = ZERO
    elif fee_kind == FEE_FIXED:
        fee = value
    elif fee_kind == FEE_PERCENT_REMAINING:
        fee = remaining_value * min(value, Decimal(100)) / Decimal(100)
    elif fee_kind == FEE_PERIODS:
        fee = period_fee * value
    else:
        raise ValueError(f"unknown fee kind {fee_kind!r}")
    return clamp(to_money(fee), ZERO, remaining_value)


def refund_amount(
    *, refund_policy: str, paid: Decimal, used_value: Decimal, fee: Decimal
) -> Decimal:
    """Pro-rata refund of prepaid unused service minus the fee, within [0, paid]."""
    paid = max(to_money(paid), ZERO)
    if refund_policy == REFUND_NONE:
        return ZERO
    if refund_policy != REFUND_PRO_RATA:
        raise ValueError(f"unknown refund policy {refund_policy!r}")
    unused = paid - to_money(used_value)
    return clamp(to_money(unused - fee), ZERO, paid)


@dataclass(frozen=True)
class ContractTerms:
    """What the policy needs to know about a contract, copied out of the database."""

    start_date: dt.date
    end_date: dt.date
    total_amount: Decimal
    billing_period: str
    notice_days: int
    fee_kind: str
    fee_value: Decimal
    refund_policy: str
    currency: str = "CNY"


@dataclass(frozen=True)
class Settlement:
    """Everything the customer and staff see before a cancellation is confirmed."""

    kind: str
    effective_date: dt.date
    last_service_day: dt.date
    currency: str
    used_value: Decimal
    remaining_value: Decimal
    fee: Decimal
    paid: Decimal
    unused_prepaid: Decimal
    refund: Decimal
    # The part of the fee not settled out of the unused prepayment: the final invoice.
    fee_to_invoice: Decimal
    # Service already used but not paid for yet (installments): still owed, shown as a fact.
    owed_for_used_service: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "effective_date": self.effective_date.isoformat(),
            "last_service_day": self.last_service_day.isoformat(),
            "currency": self.currency,
            "used_value": str(self.used_value),
            "remaining_value": str(self.remaining_value),
            "fee": str(self.fee),
            "paid": str(self.paid),
            "unused_prepaid": str(self.unused_prepaid),
            "refund": str(self.refund),
            "fee_to_invoice": str(self.fee_to_invoice),
            "owed_for_used_service": str(self.owed_for_used_service),
        }


def settlement_compute(
    *,
    kind: str,
    terms: ContractTerms,
    today: dt.date,
    paid: Decimal,
    effective_date: dt.date | None = None,
) -> Settlement | None:
    """The full preview for one kind of cancellation, or None if that kind is not possible.

    ``effective_date`` defaults to the earliest allowed one; a later one (staff confirming
    with an agreed date) must satisfy ``effective_date_allowed``.
    """
    earliest = earliest_effective_date(
        kind=kind, today=today, notice_days=terms.notice_days, term_end=terms.end_date
    )
    if earliest is None:
        return None
    if effective_date is None:
        effective_date = earliest
    elif not effective_date_allowed(
        kind=kind,
        effective_date=effective_date,
        today=today,
        notice_days=terms.notice_days,
        term_end=terms.end_date,
    ):
        raise ValueError("effective date outside what the policy allows")
    # A term that has not started yet (scheduled) is valued from its start.
    effective_for_value = max(effective_date, terms.start_date)
    total = to_money(terms.total_amount)
    paid = max(to_money(paid), ZERO)
    if kind == NON_RENEWAL:
        used_value, remaining_value, fee = total, ZERO, ZERO
    else:
        used_value, remaining_value = value_split(
            total=total,
            start=terms.start_date,
            end=terms.end_date,
            effective_date=effective_for_value,
        )
        fee = early_termination_fee(
            fee_kind=terms.fee_kind,
            fee_value=terms.fee_value,
            remaining_value=remaining_value,
            period_fee=period_fee(
                total=total,
                start=terms.start_date,
                end=terms.end_date,
                billing_period=terms.billing_period,
            ),
        )
    unused_prepaid = max(paid - used_value, ZERO)
    if kind == NON_RENEWAL:
        refund = ZERO
    else:
        refund = refund_amount(
            refund_policy=terms.refund_policy, paid=paid, used_value=used_value, fee=fee
        )
    offset = min(fee, unused_prepaid) if terms.refund_policy == REFUND_PRO_RATA else ZERO
    return Settlement(
        kind=kind,
        effective_date=effective_date,
        last_service_day=effective_date - ONE_DAY,
        currency=terms.currency,
        used_value=used_value,
        remaining_value=remaining_value,
        fee=fee,
        paid=paid,
        unused_prepaid=unused_prepaid,
        refund=refund,
        fee_to_invoice=to_money(fee - offset),
        owed_for_used_service=max(used_value - paid, ZERO),
    )


# --- service level -----------------------------------------------------------------------


def business_days_add(
    start: dt.datetime, days: int, *, holidays: frozenset[dt.date] = frozenset()
) -> dt.datetime:
    """``start`` moved forward by ``days`` business days (Monday–Friday, minus holidays).

    A request made on Saturday with a 2-day SLA is due on Tuesday at the same clock time
    (the weekend does not count), as is one made on Friday.
    """
    current = start
    added = 0
    while added < days:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and current.date() not in holidays:
            added += 1
    return current

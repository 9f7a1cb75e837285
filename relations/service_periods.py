"""The periods a service indicator is measured over: calendar months or quarters, cut to
the contract's term (a term from 15 March has a first "month" of 15-31 March), and the
share of the term's fee that falls in one (by days, so a leap February weighs 29 days)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from core.money import money

from .service_level_models import MeasurePeriod

PERIOD_MONTHS = {MeasurePeriod.MONTHLY: 1, MeasurePeriod.QUARTERLY: 3}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        """ "2028-02" for a month, "2028 Q1" for a quarter (language-neutral)."""
        if self.kind == MeasurePeriod.QUARTERLY:
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"


def _calendar_period(day: dt.date, kind: str) -> tuple[dt.date, dt.date]:
    months = PERIOD_MONTHS[MeasurePeriod(kind)]
    first_month = (day.month - 1) // months * months + 1
    last_month = first_month + months - 1
    start = dt.date(day.year, first_month, 1)
    end = dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return start, end


def period_containing(
    day: dt.date, *, kind: str, term_start: dt.date, term_end: dt.date
) -> Period | None:
    """The period of ``kind`` holding ``day``, cut to the term; None outside the term."""
    if not term_start <= day <= term_end:
        return None
    start, end = _calendar_period(day, kind)
    return Period(start=max(start, term_start), end=min(end, term_end), kind=kind)


def periods_of_term(
    *, kind: str, term_start: dt.date, term_end: dt.date, started_by: dt.date
) -> list[Period]:
    """Every period of the term that has begun on ``started_by``, oldest first."""
    periods = []
    day = term_start
    while day <= term_end and day <= started_by:
        period = period_containing(day, kind=kind, term_start=term_start, term_end=term_end)
        assert period is not None  # day is inside the term
        periods.append(period)
        day = period.end + dt.timedelta(days=1)
    return periods


def period_fee(*, term_total: Decimal, term_days: int, period: Period) -> Decimal:
    """The part of the term's fee that pays for ``period``, pro rata by days."""
    if term_days <= 0:
        return Decimal("0.00")
    return money(term_total * period.days / term_days)

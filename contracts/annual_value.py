"""A contract's annualised value (``Contract.annual_value``): what its fee comes to over a
year, the figure the customer tiers, the dashboard and the reports add up.

A term of whole calendar months (a month, a quarter, a year, a month-by-month
continuation) is annualised by its months: a one-month term at 500 is worth 6,000 a year
whether the month has 28 or 31 days, and a year from 1 January of a leap year is worth its
fee, not 365/366 of it. Any other term (a year and ten days, six weeks) is annualised by
its days (365 a year). Decimal throughout.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from core.money import money


def _months_later(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def _term_last_day(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` months from ``start``, by the rule billing and
    the quotes follow (billing.services.term_end): the day before the same day ``months``
    later, or that month's last day when it has no such day."""
    after = _months_later(start, months)
    return after if after.day < start.day else after - dt.timedelta(days=1)


def whole_months(start: dt.date, end: dt.date) -> int | None:
    """The number of months of a term that is exactly a whole number of calendar months
    (``end`` is the last day of a term of that many months from ``start``), else None."""
    if end < start:
        return None
    n = (end.year - start.year) * 12 + (end.month - start.month) + 1
    for months in (n, n - 1):
        if months > 0 and _term_last_day(start, months) == end:
            return months
    return None


def annual_value(total: Decimal, start: dt.date, end: dt.date) -> Decimal:
    """``total`` (the fee for the term ``start``..``end``, both inclusive) over a year."""
    months = whole_months(start, end)
    if months is not None:
        return money(total * Decimal(12) / Decimal(months))
    days = (end - start).days + 1
    return money(total * Decimal(365) / Decimal(days)) if days > 0 else money(total)

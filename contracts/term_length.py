"""Contracts by term length: short (under 12 months) and long (12 months or more).

The threshold is ``RENEWDESK["LONG_TERM_MONTHS"]`` (default 12). A term's length is counted
in calendar months from its start to the day after its end, as the renewal quote counts
it: a year from 29 February (ending on 28 February) is 12 months, a term from 31 January
to 30 December is 11. In SQL: ``end + 1 day >= start + N months``, where PostgreSQL clamps
a month to its last day exactly as ``retention.policy.add_months`` does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import DateField, DurationField, Exists, F, Func, OuterRef, Q, Value
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils.translation import gettext_lazy as _

from .models import Contract, ContractStatus

DEFAULT_LONG_TERM_MONTHS = 12
# A customer's "current" contracts: in force, or signed and about to be.
IN_FORCE = (ContractStatus.ACTIVE, ContractStatus.SCHEDULED, ContractStatus.AWAITING_PAYMENT)


class TermClass:
    SHORT = "short"
    LONG = "long"

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        months = long_term_months()
        return [
            (cls.SHORT, _("Short term (under %(months)s months)") % {"months": months}),
            (cls.LONG, _("Long term (%(months)s months or more)") % {"months": months}),
        ]

    @classmethod
    def values(cls) -> tuple[str, str]:
        return (cls.SHORT, cls.LONG)


def long_term_months() -> int:
    return int(settings.RENEWDESK.get("LONG_TERM_MONTHS", DEFAULT_LONG_TERM_MONTHS))


class AddMonths(Func):
    """``date + N calendar months + D days`` as a date. PostgreSQL adds the months first
    (clamped to the month's last day), then the days."""

    template = "CAST(%(expressions)s AS date)"
    arg_joiner = " + "
    output_field = DateField()

    def __init__(self, date: Any, months: int, days: int = 0) -> None:
        # make_interval(years, months, weeks, days)
        interval = Func(
            Value(0),
            Value(int(months)),
            Value(0),
            Value(int(days)),
            function="make_interval",
            output_field=DurationField(),
        )
        super().__init__(date, interval)


def term_class_q(term_class: str, *, prefix: str = "") -> Q:
    """Contracts (or rows reaching a contract through ``prefix``, e.g. ``"contract__"``)
    of the given term class: long when the day after the end is on or after the start
    plus N months, i.e. the end is on or after the day before it."""
    end = F(f"{prefix}end_date")
    first_long_end = AddMonths(F(f"{prefix}start_date"), long_term_months(), days=-1)
    if term_class == TermClass.LONG:
        return Q(GreaterThanOrEqual(end, first_long_end))
    if term_class == TermClass.SHORT:
        return Q(LessThan(end, first_long_end))
    raise ValueError(f"unknown term class {term_class!r}")


def customers_with_term(term_class: str) -> Q:
    """Customers (for ``Customer`` querysets) with a contract in force of that class."""
    return Q(
        Exists(
            Contract.objects.filter(customer=OuterRef("pk"), status__in=IN_FORCE).filter(
                term_class_q(term_class)
            )
        )
    )

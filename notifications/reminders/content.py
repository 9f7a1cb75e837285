"""What a renewal reminder says: the template context and the portal links."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.selectors import contract_ruleset_snapshot
from contracts.models import PERIOD_MONTHS, BillingPeriod, Contract, ContractLine, Plan
from core.money import money
from core.tokens import token_make

from ..models import (
    Message,
    PersonalOffer,
)
from .rules import TITLE_MARK, _default_offsets, due_offset

LINK_PURPOSES = ("renew", "change", "cancel", "auto_renew_off")


def portal_action_url(*, purpose: str, contract_id: int, max_age: int) -> str:
    """An absolute link to the portal's confirmation page for one action on one contract.

    GET on it only shows a confirmation page; the change happens on POST. The portal
    serves ``portal:action-link`` (``/portal/act/<purpose>/<token>/``).
    """
    token = token_make(purpose=purpose, obj_id=contract_id, max_age=max_age)
    path = _action_link_pattern().replace("PURPOSE", purpose).replace("TOKEN", token)
    return settings.SITE_URL + path


@functools.lru_cache(maxsize=1)
def _action_link_pattern() -> str:
    # Resolved once per process: reverse() (and a NoReverseMatch) per link is what made
    # rendering thousands of reminders slow.
    try:
        return reverse("portal:action-link", kwargs={"purpose": "PURPOSE", "token": "TOKEN"})
    except NoReverseMatch:
        return "/portal/act/PURPOSE/TOKEN/"


def _periods_in_term(start: dt.date, end: dt.date, billing_period: str) -> int:
    months = round(((end - start).days + 1) / 30.4375)
    per = PERIOD_MONTHS.get(billing_period, 1)
    return max(1, round(months / per))


class _PriceCache:
    def __init__(self) -> None:
        self._plans: dict[int, Plan] = {}
        self._prices: dict[tuple[int, dt.date], Decimal] = {}

    def _plan(self, plan_id: int) -> Plan:
        if plan_id not in self._plans:
            self._plans[plan_id] = Plan.objects.get(pk=plan_id)
        return self._plans[plan_id]

    def price_on(self, plan_id: int, day: dt.date) -> Decimal:
        """The plan's price per *its* billing period on ``day``."""
        key = (plan_id, day)
        if key not in self._prices:
            self._prices[key] = self._plan(plan_id).price_on(day)
        return self._prices[key]

    def price_per(self, plan_id: int, day: dt.date, billing_period: str) -> Decimal:
        """The plan's price on ``day`` per ``billing_period`` (a monthly plan at 500 is
        6,000 a year), so that two fees are compared for the same length of time."""
        plan_months = PERIOD_MONTHS.get(self._plan(plan_id).billing_period, 1)
        months = PERIOD_MONTHS.get(billing_period, 1)
        return self.price_on(plan_id, day) * Decimal(months) / Decimal(plan_months)


def next_term_open_ended(contract_id: int) -> bool:
    """Whether the contract's automatic renewal makes it an open-ended contract billed
    month by month (its rules renew only into one, e.g. Germany after the initial term;
    lifecycle.auto_renewal builds it)."""
    contract = Contract.objects.select_related("customer").get(pk=contract_id)
    return bool(contract.auto_renew) and contract_ruleset_snapshot(contract).renew_into_open_ended


def reminder_context(
    *,
    row: dict[str, Any],
    offset: int,
    days_left: int,
    prices: _PriceCache,
    what: str,
    offer: PersonalOffer | None,
    open_ended: bool = False,
) -> dict[str, Any]:
    """Everything a reminder template may show, as plain values (no lazy queries).

    The current and the next fee are for the same length of time, ``fee_period``: the
    contract's billing period, or a month when the next term is an open-ended one billed
    monthly (``open_ended``): a year at 6,000 and a month at 500 are the same fee."""
    end: dt.date = row["end_date"]
    fee_period = BillingPeriod.MONTHLY if open_ended else row["billing_period"]
    periods = _periods_in_term(row["start_date"], end, fee_period)
    current_fee = money(row["total_amount"] / periods)
    next_fee = (
        prices.price_per(row["plan_id"], end + dt.timedelta(days=1), fee_period)
        if row["plan_id"]
        else current_fee
    )
    next_fee = money(next_fee)
    change = next_fee - current_fee
    # Links stay valid a little past the end so a late reader still gets a clear page.
    max_age = max(1, (end - timezone.localdate()).days + 30) * 86400
    links = {
        p: portal_action_url(purpose=p, contract_id=row["id"], max_age=max_age)
        for p in LINK_PURPOSES
    }
    try:
        links["portal"] = settings.SITE_URL + reverse(
            "portal:contract-detail", kwargs={"pk": row["id"]}
        )
    except NoReverseMatch:
        links["portal"] = settings.SITE_URL + "/portal/"
    manager_name = " ".join(
        p for p in (row["owner__first_name"], row["owner__last_name"]) if p
    ) or (row["owner__username"] or "")
    return {
        "contract_id": row["id"],
        "contract_number": row["number"],
        "customer_name": row["customer__name"],
        "what": what,
        "start_date": row["start_date"],
        "end_date": end,
        "next_start": end + dt.timedelta(days=1),
        "days_left": days_left,
        "offset": offset,
        "late": days_left < offset,
        "currency": row["currency"],
        "billing_period": row["billing_period"],
        "fee_period": fee_period,
        "open_ended": open_ended,
        "current_fee": current_fee,
        "next_fee": next_fee,
        "fee_change": change,
        "fee_change_abs": abs(change),
        "fee_up": change > 0,
        "fee_down": change < 0,
        "auto_renew": row["auto_renew"],
        "links": links,
        "manager": {
            "name": manager_name,
            "email": row["owner__email"] or "",
            "phone": row["owner__phone"] or "",
        },
        "offer": {"title": offer.title, "body": offer.body} if offer else None,
    }


def reminder_context_for_contract(*, contract: Contract, today: dt.date | None = None) -> dict:
    """The reminder context for one contract (template previews in the admin)."""
    today = today or timezone.localdate()
    row = contract_rows(Contract.objects.filter(pk=contract.pk))[0]
    days_left = max(1, (contract.end_date - today).days)
    offer = _offers().get((contract.customer.effective_tier, contract.customer.language))
    return reminder_context(
        row=row,
        offset=due_offset(days_left, _default_offsets()) or days_left,
        days_left=days_left,
        prices=_PriceCache(),
        what=_what({contract.pk: row}, [contract.pk]).get(contract.pk, contract.number),
        offer=offer,
        open_ended=next_term_open_ended(contract.pk),
    )


def reminder_context_for_message(*, message: Message) -> dict:
    """The context a stored reminder is rendered with at delivery (its own offset and the
    days left on the day it was created)."""
    assert message.contract_id is not None  # a reminder is about a contract
    row = contract_rows(Contract.objects.filter(pk=message.contract_id))[0]
    days_left = int(message.context.get("days_left") or message.offset_days or 1)
    tier = row["customer__tier_override"] or row["customer__tier"]
    return reminder_context(
        row=row,
        offset=message.offset_days or days_left,
        days_left=days_left,
        prices=_PriceCache(),
        what=_what({row["id"]: row}, [row["id"]]).get(row["id"], row["number"]),
        offer=_offers().get((tier, message.language)),
        open_ended=next_term_open_ended(row["id"]),
    )


_ROW_FIELDS = (
    "id",
    "number",
    "customer_id",
    "customer__name",
    "customer__tier",
    "customer__tier_override",
    "customer__language",
    "customer__notify_email",
    "customer__notify_sms",
    "customer__notify_in_app",
    "customer__account_manager_id",
    "plan_id",
    "plan__name",
    "owner_id",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "owner__email",
    "owner__phone",
    "owner__team_lead_id",
    "start_date",
    "end_date",
    "billing_period",
    "currency",
    "total_amount",
    "auto_renew",
)


def contract_rows(qs) -> list[dict[str, Any]]:
    return list(qs.values(*_ROW_FIELDS))


def _what(rows_by_id: dict[int, dict[str, Any]], ids: list[int]) -> dict[int, str]:
    """What is ending: the plan's name, else the contract's line descriptions."""
    out = {cid: rows_by_id[cid]["plan__name"] for cid in ids if rows_by_id[cid]["plan__name"]}
    missing = [cid for cid in ids if cid not in out]
    if missing:
        for cid, desc in (
            ContractLine.objects.filter(contract_id__in=missing)
            .order_by("contract_id", "position", "id")
            .values_list("contract_id", "description")
        ):
            out[cid] = f"{out[cid]}, {desc}" if cid in out else desc
    return out


def _offers() -> dict[tuple[str, str], PersonalOffer]:
    return {(o.tier, o.language): o for o in PersonalOffer.objects.filter(is_active=True)}


def staff_task_texts() -> dict[str, str]:
    """The staff tasks' titles and details in the site's language, translated once per
    sweep. A title's placeholders are TITLE_MARK marks (``%%`` already resolved), which
    the sweep replaces with the contract's values."""
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "task_title": _(
                "Renewal reminder sent: %(number)s ends on %(date)s (%(days)s days left)"
            )
            % {k: TITLE_MARK.format(k) for k in ("number", "date", "days")},
            "task_details": _("Follow up with the customer about the renewal."),
            "escalation_title": _(
                "Escalation: no answer from %(customer)s, %(number)s ends on %(date)s"
            )
            % {k: TITLE_MARK.format(k) for k in ("customer", "number", "date")},
            "escalation_details": _("The customer has not responded to the renewal reminders."),
        }


def staff_task_title(template: str, **values: object) -> str:
    """A title of staff_task_texts() with its marks replaced (the Python path)."""
    for name, value in values.items():
        template = template.replace(TITLE_MARK.format(name), str(value))
    return template[:300]

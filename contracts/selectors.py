"""Reads for the staff contract pages. Every query starts from core.access."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, DateField, F, Prefetch, Q, QuerySet, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Document
from core.money import money_text
from customers.models import Customer

from .access import contracts_visible_to
from .models import (
    ENDED_STATUSES,
    AutoRenewConsent,
    ConsentChannel,
    Contract,
    ContractEvent,
    ContractStatus,
)

# Sort keys accepted from the query string, mapped to ORDER BY columns. A stable
# tie-breaker (number) keeps pagination deterministic.
CONTRACT_SORTS: dict[str, tuple[str, ...]] = {
    "end_date": ("end_date", "number"),
    "-end_date": ("-end_date", "-number"),
    "value": ("annual_value", "number"),
    "-value": ("-annual_value", "-number"),
    "number": ("number",),
    "-number": ("-number",),
    "customer": ("customer__name", "number"),
    "-customer": ("-customer__name", "-number"),
    "start_date": ("start_date", "number"),
    "-start_date": ("-start_date", "-number"),
}
CONTRACT_DEFAULT_SORT = "end_date"

# Human labels for event kinds written by the contract services; the kinds other apps
# write have their labels there (renewals.event_labels, retention.event_labels).
EVENT_KIND_LABELS: dict[str, Any] = {
    "created": _("Draft created"),
    "updated": _("Draft edited"),
    "sent_for_signature": _("Sent for signature"),
    "returned_to_draft": _("Returned to draft"),
    "signed": _("Signature recorded"),
    "paid": _("First payment recorded"),
    "activated": _("Term started"),
    "expired": _("Expired"),
    "renewed": _("Renewed"),
    "terminated": _("Terminated"),
    "voided": _("Voided"),
    "auto_renew_on": _("Auto-renewal switched on"),
    "auto_renew_off": _("Auto-renewal switched off"),
    "imported": _("Imported"),
    "status_changed": _("Status changed"),
}


# Payload keys shown on the timeline, with their labels. Keys not listed here are shown
# with underscores replaced; internal references (ids, previous flags) are hidden.
EVENT_PAYLOAD_LABELS: dict[str, Any] = {
    "channel": _("channel"),
    "method": _("method"),
    "note": _("note"),
    "signer": _("signed by"),
    "total_amount": _("total for the term"),
    "total": _("total"),
    "successor": _("renewed by"),
    "quote": _("quote"),
    "reason": _("reason"),
    "automatic": _("automatic"),
    "successor_voided": _("renewal contract voided"),
    "terms_used": _("discount terms used"),
    # Billing and online payments (a context of their own: "provider" alone is also the
    # SMS provider in Chinese).
    "invoice": pgettext_lazy("event detail", "invoice"),
    "payment": pgettext_lazy("event detail", "payment"),
    "amount": pgettext_lazy("event detail", "amount"),
    "applied": pgettext_lazy("event detail", "applied to invoices"),
    "source": pgettext_lazy("event detail", "source"),
    "refund": pgettext_lazy("event detail", "refund"),
    "credit_note": pgettext_lazy("event detail", "credit note"),
    "provider": pgettext_lazy("event detail", "payment provider"),
    "display": pgettext_lazy("event detail", "paid from"),
    "mandate": pgettext_lazy("event detail", "payment authorisation"),
    "detail": pgettext_lazy("event detail", "detail"),
    "event": pgettext_lazy("event detail", "provider notification"),
}
# hold_reasons: a held renewal's reasons as codes, shown as its reason (lifecycle).
EVENT_PAYLOAD_HIDDEN = {"previous", "consent_id", "case", "from_stage", "to_stage", "hold_reasons"}
# Amounts written as str(Decimal) in the contract's currency, shown like the page shows
# money (CNY 1,195.08). "refund" is an amount for a cancellation but a provider's
# reference for an online refund: only a value with exactly two decimals is money.
EVENT_PAYLOAD_MONEY = {"total_amount", "total", "amount", "applied", "refund"}
_AMOUNT = re.compile(r"-?\d+\.\d{2}")


def _payload_value(key: str, value: Any, currency: str = "") -> str:
    if key in EVENT_PAYLOAD_MONEY and isinstance(value, str) and _AMOUNT.fullmatch(value):
        return money_text(value, currency)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if key in ("channel", "method"):
        try:
            return str(ConsentChannel(value).label)
        except ValueError:
            return str(EVENT_CHANNEL_LABELS.get(value, value))
    return str(value)


EVENT_CHANNEL_LABELS: dict[str, Any] = {"offline": _("offline"), "online": _("online")}


def event_payload_display(
    payload: dict[str, Any] | None, *, currency: str = ""
) -> list[tuple[str, str]]:
    """The event details worth showing to a person, labelled and in a stable order;
    amounts with ``currency`` (the contract's) and grouped digits."""
    rows = []
    for key, value in (payload or {}).items():
        if value in ("", None) or key in EVENT_PAYLOAD_HIDDEN or key.endswith("_id"):
            continue
        label = EVENT_PAYLOAD_LABELS.get(key)
        rows.append(
            (
                str(label) if label is not None else key.replace("_", " "),
                _payload_value(key, value, currency),
            )
        )
    return sorted(rows)


def event_kind_label(kind: str, *more: Mapping[str, Any]) -> str:
    """The label of an event kind: the contract's own, else from the tables of the apps
    that write the kind (``more``: the pages above those apps pass them)."""
    for table in (EVENT_KIND_LABELS, *more):
        label = table.get(kind)
        if label is not None:
            return str(label)
    return kind.replace("_", " ").capitalize()


def status_label(status: str) -> str:
    try:
        return str(ContractStatus(status).label)
    except ValueError:
        return status


@dataclass(frozen=True)
class ContractFilters:
    q: str = ""
    status: str = ""
    ending_within: int | None = None
    manager_id: int | None = None
    plan_id: int | None = None
    customer_id: int | None = None
    sort: str = CONTRACT_DEFAULT_SORT
    # Dashboard click-through: the customer's tier, and the day the term ended (its end
    # date, or the termination day for an early termination) within a range.
    tier: str = ""
    ended_from: dt.date | None = None
    ended_to: dt.date | None = None
    # ... and only the contracts among these ids (a values("contract_id") queryset): the
    # contracts behind a "cancellations by reason" or retention-offer figure, which the
    # list's form reads from retention (retention builds on contracts, not the reverse).
    among: QuerySet | None = None


def ended_on_expression() -> Case:
    """The business day a term ended: the termination day (local) for an early
    termination, the end date otherwise. Shared with the insights dashboard."""
    return Case(
        When(
            status=ContractStatus.TERMINATED,
            ended_at__isnull=False,
            then=TruncDate("ended_at", tzinfo=timezone.get_current_timezone()),
        ),
        default=F("end_date"),
        output_field=DateField(),
    )


# A search that matches more customers than this is broad enough that reading the list
# in order and filtering finds a page quickly; below it, the customers' ids go into the
# query so that the number's and the customers' trigram indexes combine.
SEARCH_CUSTOMER_IDS = 500


def contract_search(q: str) -> Q:
    """Contracts whose number contains ``q``, or whose customer's name contains it, or
    whose customer code is ``q``. Served by trigram indexes (contracts migration 0006,
    customers migration 0004): at 1,000,000 contracts a name search took 6 s as one
    query over the join, a few milliseconds this way."""
    ids = list(
        Customer.objects.filter(Q(name__icontains=q) | Q(code__iexact=q)).values_list(
            "id", flat=True
        )[: SEARCH_CUSTOMER_IDS + 1]
    )
    if len(ids) > SEARCH_CUSTOMER_IDS:
        return Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(customer__code__iexact=q)
    return Q(number__icontains=q) | Q(customer_id__in=ids)


def contract_list(
    *, user: Any, filters: ContractFilters, today: dt.date | None = None
) -> QuerySet[Contract]:
    """The contracts a staff user may see, filtered and sorted for the list page.

    "Ending within N days" is not a status: it means active (unless another status is
    asked for) with an end date from today to today + N. It is served by the partial
    index ``contract_active_end`` and by ``contract_status_end``.
    """
    today = today or timezone.localdate()
    qs = contracts_visible_to(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.ending_within is not None:
        if not filters.status:
            qs = qs.filter(status=ContractStatus.ACTIVE)
        qs = qs.filter(
            end_date__gte=today, end_date__lte=today + dt.timedelta(days=filters.ending_within)
        )
    if filters.manager_id:
        qs = qs.filter(customer_manager_id=filters.manager_id)
    if filters.plan_id:
        qs = qs.filter(plan_id=filters.plan_id)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.tier:
        # The effective tier, as on the customer list: a manual override wins.
        qs = qs.filter(
            Q(customer__tier_override=filters.tier)
            | Q(customer__tier_override="", customer__tier=filters.tier)
        )
    if filters.ended_from or filters.ended_to:
        qs = qs.alias(ended_on=ended_on_expression()).filter(status__in=ENDED_STATUSES)
        if filters.ended_from:
            qs = qs.filter(ended_on__gte=filters.ended_from)
        if filters.ended_to:
            qs = qs.filter(ended_on__lte=filters.ended_to)
    if filters.among is not None:
        qs = qs.filter(pk__in=filters.among)
    q = filters.q.strip()
    if q:
        qs = qs.filter(contract_search(q))
    order = CONTRACT_SORTS.get(filters.sort, CONTRACT_SORTS[CONTRACT_DEFAULT_SORT])
    # Everything the table shows comes in with the same query: no per-row queries.
    return qs.select_related("customer", "customer__account_manager", "plan").order_by(*order)


def contract_get_for_staff(*, user: Any, pk: int) -> Contract:
    """One contract with everything the detail page shows; raises DoesNotExist outside
    the user's book (the view turns that into a 404, never revealing it exists)."""
    return (
        contracts_visible_to(user)
        .select_related(
            "customer",
            "customer__account_manager",
            "plan",
            "owner",
            "terms_version",
            "predecessor",
            "successor",
        )
        .prefetch_related(
            "lines",
            Prefetch(
                "events",
                queryset=ContractEvent.objects.select_related("actor").order_by("at", "id"),
            ),
            Prefetch(
                "consents",
                queryset=AutoRenewConsent.objects.select_related("actor").order_by("-at", "-id"),
            ),
            Prefetch("documents", queryset=Document.objects.order_by("-created_at", "-id")),
        )
        .get(pk=pk)
    )


def contract_successor(*, contract: Contract) -> Contract | None:
    try:
        return contract.successor
    except Contract.DoesNotExist:
        return None

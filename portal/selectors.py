"""Reads for the portal. Every function takes the customer and scopes by it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Contract, ContractEvent, ContractLine, ContractStatus
from customers.models import Customer
from insights.models import Feedback, Survey
from notifications.selectors import inbox_for_customer, inbox_unread_count
from renewals.event_labels import CUSTOMER_LABELS as RENEWAL_EVENT_LABELS
from renewals.event_labels import INTERNAL_KINDS as RENEWAL_INTERNAL_KINDS
from renewals.models import RenewalCase
from retention.event_labels import EVENT_LABELS as RETENTION_EVENT_LABELS
from retention.event_labels import INTERNAL_KINDS as RETENTION_INTERNAL_KINDS
from retention.selectors import offers_awaiting_answer

from .access import contracts_for_customer, documents_for_customer

# Contract statuses a customer sees. Drafts are staff work in progress.
VISIBLE_STATUSES = [s for s in ContractStatus.values if s != ContractStatus.DRAFT]

# Event kinds that are staff bookkeeping, never shown to customers. Everything else
# (signature, payment, activation, renewal, auto-renew switches, cancellation steps written
# by renewals and retention) is part of the customer's history.
INTERNAL_EVENT_KINDS = {
    "created",
    "updated",
    "returned_to_draft",
    "imported",
    "note",
    *RENEWAL_INTERNAL_KINDS,
    *RETENTION_INTERNAL_KINDS,
}

# The contract's own kinds win over the apps' (renewals, then retention).
EVENT_LABELS = {
    **RETENTION_EVENT_LABELS,
    **RENEWAL_EVENT_LABELS,
    "sent_for_signature": gettext_lazy("Sent to you for signature"),
    "signed": gettext_lazy("Signed"),
    "paid": gettext_lazy("First payment received"),
    "activated": gettext_lazy("Service started"),
    "expired": gettext_lazy("Ended without renewal"),
    "renewed": gettext_lazy("Renewed"),
    "terminated": gettext_lazy("Terminated"),
    "voided": gettext_lazy("Withdrawn"),
    "auto_renew_on": gettext_lazy("Automatic renewal switched on"),
    "auto_renew_off": gettext_lazy("Automatic renewal switched off"),
}


def portal_contracts(*, customer: Customer) -> QuerySet[Contract]:
    return contracts_for_customer(customer=customer).filter(status__in=VISIBLE_STATUSES)


def dashboard_contracts(*, customer: Customer, today: dt.date | None = None) -> list[Contract]:
    """The customer's contracts, current ones first, each with ``days_to_end`` set."""
    today = today or timezone.localdate()
    order: dict[str, int] = {
        ContractStatus.AWAITING_SIGNATURE: 0,
        ContractStatus.AWAITING_PAYMENT: 1,
        ContractStatus.ACTIVE: 2,
        ContractStatus.SCHEDULED: 3,
    }
    # Each carries days_to_end for the page, an attribute the model does not declare.
    contracts: list[Any] = list(portal_contracts(customer=customer).select_related("plan"))
    for contract in contracts:
        contract.days_to_end = contract.days_until_end(today)
    contracts.sort(key=lambda c: (order.get(c.status, 9), c.end_date, c.number))
    return contracts


@dataclass(frozen=True)
class PendingAction:
    title: str
    detail: str
    url: str
    urgent: bool = False


def renewal_signing_pages(*, customer: Customer, contracts: list[Any]) -> dict[int, str]:
    """Where the customer signs each of ``contracts`` that is a renewal offer awaiting her
    signature: {offer id: the renewal page of the contract it renews}. An offer is signed
    on that page (renewals.portal_views), not on its own contract page. One query, only
    when an offer awaits a signature."""
    offers = [
        c.pk
        for c in contracts
        if c.status == ContractStatus.AWAITING_SIGNATURE and c.predecessor_id is not None
    ]
    if not offers:
        return {}
    cases = RenewalCase.objects.filter(successor_id__in=offers, contract__customer=customer)
    return {
        successor_id: reverse("portal:renewal", kwargs={"pk": contract_id})
        for successor_id, contract_id in cases.values_list("successor_id", "contract_id")
        if successor_id is not None
    }


def _contract_actions(customer: Customer, contracts: list[Any]) -> list[PendingAction]:
    """``contracts`` as dashboard_contracts returns them, each with ``days_to_end``."""
    actions = []
    signing_pages = renewal_signing_pages(customer=customer, contracts=contracts)
    for c in contracts:
        url = reverse("portal:contract-detail", kwargs={"pk": c.pk})
        if c.status == ContractStatus.AWAITING_SIGNATURE:
            url = signing_pages.get(c.pk, url)
            actions.append(
                PendingAction(_("Sign contract %(n)s") % {"n": c.number}, "", url, urgent=True)
            )
        elif c.status == ContractStatus.AWAITING_PAYMENT:
            actions.append(
                PendingAction(_("Pay for contract %(n)s") % {"n": c.number}, "", url, urgent=True)
            )
        elif c.status == ContractStatus.ACTIVE and 0 <= c.days_to_end <= 60 and not c.auto_renew:
            actions.append(
                PendingAction(
                    _("Contract %(n)s ends in %(d)s days") % {"n": c.number, "d": c.days_to_end},
                    _("Renew it or tell us what you need."),
                    url,
                    urgent=c.days_to_end <= 15,
                )
            )
    return actions


def _cancellation_offer_actions(customer: Customer) -> list[PendingAction]:
    return [
        PendingAction(
            _("An offer is waiting for your answer (contract %(n)s)")
            % {"n": request.contract.number},
            str(request.offer.title) if request.offer else "",
            reverse("portal:cancellation-detail", args=[request.pk]),
            urgent=False,
        )
        for request in offers_awaiting_answer(customer=customer)
    ]


def pending_actions(*, customer: Customer, contracts: list[Contract]) -> list[PendingAction]:
    return [*_contract_actions(customer, contracts), *_cancellation_offer_actions(customer)]


def contract_detail_for_customer(*, contract: Contract) -> dict[str, Any]:
    """Lines, documents and the customer-visible history of one (already scoped) contract."""
    lines = list(ContractLine.objects.filter(contract=contract).select_related("plan"))
    documents = list(documents_for_customer(customer=contract.customer).filter(contract=contract))
    events = []
    for event in ContractEvent.objects.filter(contract=contract).exclude(
        kind__in=INTERNAL_EVENT_KINDS
    ):
        label = EVENT_LABELS.get(event.kind) or event.kind.replace("_", " ").capitalize()
        events.append({"at": event.at, "label": label, "to_status": event.to_status})
    return {"lines": lines, "documents": documents, "events": events}


def inbox(*, customer: Customer) -> list[Any]:
    """In-app messages, from the notifications app once it provides its selector."""
    return list(inbox_for_customer(customer=customer))


def inbox_queryset(*, customer: Customer) -> QuerySet:
    return inbox_for_customer(customer=customer)


def unread_count(*, customer: Customer) -> int:
    return int(inbox_unread_count(customer=customer))


def open_surveys_count(*, customer: Customer) -> int:
    """Surveys sent to the customer and not answered yet (the Feedback tab's badge)."""
    return Survey.objects.filter(customer=customer, answered_at__isnull=True).count()


def feedback_for_customer(*, customer: Customer) -> QuerySet[Feedback]:
    return Feedback.objects.filter(customer=customer).select_related("contract")


def feedback_detail(*, feedback: Feedback) -> Feedback:
    return (
        Feedback.objects.filter(pk=feedback.pk)
        .prefetch_related(Prefetch("replies"))
        .select_related("contract")
        .get()
    )

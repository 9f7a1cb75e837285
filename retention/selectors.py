"""Reads for cancellation and retention. Writes live in services.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from billing.models import Invoice
from contracts.access import contracts_visible_to
from contracts.models import Contract, ContractStatus
from core.money import MoneyTotals, sums_by_currency
from customers.models import Customer

from . import policy
from .models import (
    AWAITING_STAFF,
    OPEN_STATUSES,
    CancellationRequest,
    GrantStatus,
    Kind,
    OfferGrant,
    OfferKind,
    OfferResponse,
    RetentionOffer,
    Status,
)

# Contracts a customer can still cancel: non-renewal also before the term starts.
CANCELLABLE: dict[str, tuple[ContractStatus, ...]] = {
    Kind.NON_RENEWAL: (ContractStatus.ACTIVE, ContractStatus.SCHEDULED),
    Kind.EARLY_TERMINATION: (ContractStatus.ACTIVE,),
}


# A customer with a contract in one of these is not lost (or is already being won back).
CURRENT_STATUSES = (
    ContractStatus.DRAFT,
    ContractStatus.AWAITING_SIGNATURE,
    ContractStatus.AWAITING_PAYMENT,
    ContractStatus.SCHEDULED,
    ContractStatus.ACTIVE,
)


def contract_terms(contract: Contract) -> policy.ContractTerms:
    return policy.ContractTerms(
        start_date=contract.start_date,
        end_date=contract.end_date,
        total_amount=contract.total_amount,
        billing_period=contract.billing_period,
        notice_days=contract.notice_period_days,
        fee_kind=contract.etf_kind,
        fee_value=contract.etf_value,
        refund_policy=contract.refund_policy,
        currency=contract.currency,
    )


def contract_paid_amount(contract: Contract) -> tuple[Decimal, bool]:
    """(money received for this term, whether it was known from invoices).

    Paid term and installment invoices count; a contract with no term invoice at all
    (imported, or signed before billing existed) is taken as prepaid in full, and the
    preview says it is an assumption so staff can check before confirming.
    """
    invoices = Invoice.objects.filter(contract=contract, kind__in=["term", "installment"]).exclude(
        status="void"
    )
    if not invoices.exists():
        return contract.total_amount, False
    paid = invoices.aggregate(s=Sum("amount_paid"))["s"] or Decimal("0")
    return paid, True


@dataclass(frozen=True)
class Preview:
    """Both ways of cancelling, for the portal form and the staff request page."""

    contract: Contract
    today: dt.date
    non_renewal: policy.Settlement | None
    early_termination: policy.Settlement | None
    paid_known: bool

    def for_kind(self, kind: str) -> policy.Settlement | None:
        return self.non_renewal if kind == Kind.NON_RENEWAL else self.early_termination


def cancellation_preview(*, contract: Contract, today: dt.date | None = None) -> Preview:
    today = today or timezone.localdate()
    terms = contract_terms(contract)
    paid, known = contract_paid_amount(contract)
    results: dict[str, policy.Settlement | None] = {}
    for kind in (Kind.NON_RENEWAL, Kind.EARLY_TERMINATION):
        if contract.status not in CANCELLABLE[kind]:
            results[kind] = None
            continue
        results[kind] = policy.settlement_compute(kind=kind, terms=terms, today=today, paid=paid)
    return Preview(
        contract=contract,
        today=today,
        non_renewal=results[Kind.NON_RENEWAL],
        early_termination=results[Kind.EARLY_TERMINATION],
        paid_known=known,
    )


def open_request_for_contract(contract: Contract) -> CancellationRequest | None:
    return (
        CancellationRequest.objects.filter(contract=contract, status__in=OPEN_STATUSES)
        .order_by("-submitted_at")
        .first()
    )


def contracts_with_open_cancellation(*, contract_ids: list[int]) -> set[int]:
    """Of these contracts, those with an open cancellation request (one query)."""
    return set(
        CancellationRequest.objects.filter(
            contract_id__in=contract_ids, status__in=OPEN_STATUSES
        ).values_list("contract_id", flat=True)
    )


def contract_has_open_cancellation(*, contract_id: int) -> bool:
    """For the renewal flow: a contract with an open cancellation must not be renewed
    until the request is withdrawn (call it while holding the contract's row lock)."""
    return CancellationRequest.objects.filter(
        contract_id=contract_id, status__in=OPEN_STATUSES
    ).exists()


def renewal_blocked_by_cancellation(*, contract_id: int) -> bool:
    """For the renewal flow, checked under the contract's row lock before a renewal is
    signed: any open cancellation request wins over the renewal. The customer withdraws
    it first (a non-renewal can be withdrawn until the term ends), so a signature and a
    cancellation racing on the same contract never both succeed."""
    return contract_has_open_cancellation(contract_id=contract_id)


def offer_for(*, reason: str, tier: str, today: dt.date) -> RetentionOffer | None:
    """The one offer to show: the first valid offer (by priority) targeted at this case."""
    candidates = RetentionOffer.objects.filter(is_active=True).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
    )
    for offer in candidates.order_by("priority", "code"):
        if offer.targets(reason=reason, tier=tier):
            return offer
    return None


def offers_valid(*, today: dt.date) -> QuerySet[RetentionOffer]:
    return RetentionOffer.objects.filter(is_active=True).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
    )


def requests_for_customer(*, customer: Customer) -> QuerySet[CancellationRequest]:
    return CancellationRequest.objects.filter(customer=customer).select_related("contract")


def requests_visible_to(user: Any) -> QuerySet[CancellationRequest]:
    return CancellationRequest.objects.filter(contract__in=contracts_visible_to(user))


def queue_for(user: Any, *, show: str = "open") -> QuerySet[CancellationRequest]:
    """The staff queue: requests waiting for staff first, oldest SLA first."""
    qs = requests_visible_to(user).select_related("contract", "customer", "offer")
    if show == "open":
        qs = qs.filter(status__in=AWAITING_STAFF)
    elif show == "confirmed":
        qs = qs.filter(status=Status.CONFIRMED)
    elif show == "closed":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    return qs.order_by("sla_due_at", "id") if show == "open" else qs.order_by("-submitted_at")


def due_for_completion(*, as_of: dt.date) -> QuerySet[CancellationRequest]:
    # Served by the (status, effective_date) index.
    return CancellationRequest.objects.filter(status=Status.CONFIRMED, effective_date__lte=as_of)


@dataclass(frozen=True)
class OfferStats:
    offer: RetentionOffer
    shown: int
    accepted: int
    declined: int
    # Per currency (the contracts'): USD kept is never added to CNY kept.
    revenue_saved: MoneyTotals

    @property
    def acceptance_rate(self) -> Decimal:
        if not self.shown:
            return Decimal("0")
        return (Decimal(self.accepted) * 100 / Decimal(self.shown)).quantize(Decimal("0.1"))


def offer_stats(offers: QuerySet[RetentionOffer] | None = None) -> list[OfferStats]:
    offers = offers if offers is not None else RetentionOffer.objects.all()
    rows = offers.annotate(
        n_shown=Count("requests", filter=Q(requests__offer_shown_at__isnull=False)),
        n_accepted=Count("requests", filter=Q(requests__offer_response=OfferResponse.ACCEPTED)),
        n_declined=Count("requests", filter=Q(requests__offer_response=OfferResponse.DECLINED)),
    )
    saved = sums_by_currency(
        CancellationRequest.objects.filter(offer__in=offers).exclude(revenue_saved=0),
        "offer",
        "revenue_saved",
        currency="contract__currency",
    )
    return [
        OfferStats(
            offer=o,
            shown=o.n_shown,
            accepted=o.n_accepted,
            declined=o.n_declined,
            revenue_saved=saved.get(o.pk, MoneyTotals()),
        )
        for o in rows
    ]


# How many renewals back a discount for N terms is looked for (a grant's own contract
# and the ones that renewed it): more than any catalogue offers, and a bounded walk.
GRANT_CHAIN_LIMIT = 24


def grant_quotes_allowed(grant: OfferGrant) -> int:
    """How many renewal quotes a grant applies to: a discount "for N terms" to N
    successive ones (at least one), anything else to the next quote only."""
    if grant.kind == OfferKind.DISCOUNT:
        return max(grant.terms_count, 1)
    return 1


def grant_uses(grant: OfferGrant) -> list[dict[str, Any]]:
    """The quotes that used the grant so far, oldest first (``{"quote", "on"}`` each)."""
    return list((grant.details or {}).get("uses", []))


def _renewed_contract_ids(contract: Contract) -> list[int]:
    """The contracts ``contract`` renews, nearest first (its predecessor, that one's, ...)."""
    ids: list[int] = []
    current = contract.predecessor_id
    while current is not None and len(ids) < GRANT_CHAIN_LIMIT and current not in ids:
        ids.append(current)
        current = (
            Contract.objects.filter(pk=current).values_list("predecessor_id", flat=True).first()
        )
    return ids


def pending_grants_for_next_quote(*, contract: Contract) -> QuerySet[OfferGrant]:
    """Accepted offers the renewal quote of ``contract`` must apply (discount, downgrade,
    installments): the contract's own grants waiting for a quote, and a discount "for N
    terms" accepted on a contract this one renews (its successive renewals' quotes get it
    too) while it has terms left.

    The renewal helper reads this when it builds the successor's quote and records each
    grant's use with ``retention.services.grant_mark_used``, which counts the uses and
    marks the grant used after the last one it allows (``grant_quotes_allowed``).
    """
    earlier = _renewed_contract_ids(contract)
    return OfferGrant.objects.filter(
        Q(contract=contract) | Q(contract_id__in=earlier, kind=OfferKind.DISCOUNT),
        status=GrantStatus.PENDING,
    ).order_by("created_at", "id")


def customer_history(*, customer: Customer) -> dict[str, Any]:
    """What staff need to judge a request: contracts, past requests, money, risk facts."""
    contracts = list(Contract.objects.filter(customer=customer).order_by("-start_date")[:20])
    past_requests = list(
        CancellationRequest.objects.filter(customer=customer)
        .select_related("contract", "offer")
        .order_by("-submitted_at")[:20]
    )
    renewed = sum(1 for c in contracts if c.status == ContractStatus.RENEWED)
    first_start = min((c.start_date for c in contracts), default=None)
    tenure_days = (timezone.localdate() - first_start).days if first_start else 0
    overdue_invoices = 0
    open_balance = Decimal("0.00")
    open_invoices = Invoice.objects.filter(customer=customer, status="open")
    overdue_invoices = open_invoices.filter(due_date__lt=timezone.localdate()).count()
    for inv in open_invoices:
        open_balance += inv.balance
    previous_cancellations = sum(1 for r in past_requests if r.status != Status.REJECTED)
    # A transparent rule of thumb until the insights score is wired here.
    risk_points = (
        (2 if previous_cancellations > 1 else 0)
        + (2 if overdue_invoices else 0)
        + (1 if renewed == 0 else 0)
        + (1 if tenure_days < 365 else 0)
    )
    risk = "high" if risk_points >= 4 else "medium" if risk_points >= 2 else "low"
    return {
        "contracts": contracts,
        "requests": past_requests,
        "renewed_count": renewed,
        "tenure_days": tenure_days,
        "tenure_years": round(tenure_days / 365, 1),
        "overdue_invoices": overdue_invoices,
        "open_balance": open_balance,
        "risk": risk,
    }


def winback_list(user: Any, *, today: dt.date | None = None) -> QuerySet[Contract]:
    """Contracts that ended without renewal in the last 12 months, for customers who have
    no current contract: the people worth calling back. Annotated with the cancellation
    reason when there was one."""
    today = today or timezone.localdate()
    since = policy.add_months(today, -12)
    current = Contract.objects.filter(customer=OuterRef("customer"), status__in=CURRENT_STATUSES)
    last_request = CancellationRequest.objects.filter(
        contract=OuterRef("pk"), status=Status.COMPLETED
    ).order_by("-completed_at")
    return (
        contracts_visible_to(user)
        .filter(
            status__in=[ContractStatus.TERMINATED, ContractStatus.EXPIRED],
        )
        # A terminated contract keeps its original end date: when it ended is ended_at.
        .filter(Q(ended_at__date__gte=since) | Q(ended_at__isnull=True, end_date__gte=since))
        .annotate(
            has_current=Exists(current),
            cancel_reason=Subquery(last_request.values("reason")[:1]),
            cancel_reason_text=Subquery(last_request.values("reason_text")[:1]),
        )
        .filter(has_current=False)
        .select_related("customer", "owner")
        .order_by("-annual_value", "-end_date")
    )


# A successor not signed yet: what a cancellation withdraws.
UNSIGNED_SUCCESSOR = (ContractStatus.DRAFT, ContractStatus.AWAITING_SIGNATURE)


def renewal_in_progress(contract: Contract) -> Contract | None:
    """The unsigned successor (draft or awaiting signature) of ``contract``, if any: the
    cancellation pages say what happens to it, and confirming withdraws it."""
    return (
        Contract.objects.filter(predecessor=contract, status__in=UNSIGNED_SUCCESSOR)
        .order_by("-id")
        .first()
    )


def cancelled_contract_ids(
    *,
    reason: str = "",
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
    offer: str = "",
) -> QuerySet:
    """The contracts (``contract_id`` values) behind a dashboard figure: cancellation
    requests (rejected ones left out) by reason and submission day, or, with ``offer``
    ("shown" or "accepted"), the requests whose retention offer was shown (rejected ones
    included, as the save rate counts them) by the day it was shown. For the contract list."""
    if offer:
        requests = CancellationRequest.objects.filter(offer_shown_at__isnull=False)
        if offer == "accepted":
            requests = requests.filter(offer_response=OfferResponse.ACCEPTED)
        day = "offer_shown_at__date"
    else:
        requests = CancellationRequest.objects.exclude(status=Status.REJECTED)
        day = "submitted_at__date"
    if reason:
        requests = requests.filter(reason=reason)
    if day_from:
        requests = requests.filter(**{f"{day}__gte": day_from})
    if day_to:
        requests = requests.filter(**{f"{day}__lte": day_to})
    return requests.values("contract_id")


def offers_awaiting_answer(*, customer: Customer) -> QuerySet[CancellationRequest]:
    """The customer's open requests whose retention offer waits for their answer (the
    portal shows each as a pending action)."""
    return CancellationRequest.objects.filter(
        customer=customer,
        status__in=[Status.SUBMITTED, Status.IN_REVIEW],
        offer__isnull=False,
        offer_response=OfferResponse.NONE,
    ).select_related("contract", "offer")

"""What the automatic renewal of a running contract will do if nobody acts (read only).

The customer deciding on a renewal offer, and the account manager on the case page, need
to know how the two ways of renewing meet (``lifecycle.auto_renewal``):

- an **unsigned** successor (a renewal offer waiting for the signature, or a draft) does
  not stop the automatic renewal: on the last day of the term it is voided
  (``renewals.services.successor_void_if_unsigned``) and the contract renews
  automatically at the then-current price;
- a **signed** successor takes over: the automatic renewal does not run.

``auto_renewal_outlook(contract, today=...)`` says which, with the date, the term and the
price the automatic renewal would have if it ran at the end of the term with today's
price list (``auto_renewal_price``: ``lifecycle.auto_renewal.auto_renewal_terms``, the
computation the renewal builds its successor from, with the member's loyalty benefits
read without a lock through ``loyalty.services.renewal_benefits_preview``).
None when no automatic renewal is coming: the contract is not running, automatic renewal
is off or has no consent on record, or this term's renewal was already held.

It does not foresee a hold (a renewal notice not delivered in time, a price rise without
its own notice): those are decided on the day, and the pages say so when they happen
(``lifecycle.auto_renewal_state``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from contracts.models import Contract, ContractEvent, ContractStatus
from loyalty.services import renewal_benefits_preview

from .auto_renewal import HELD, auto_renewal_terms, has_valid_consent
from .term_changes import SUCCESSOR_TAKES_OVER

S = ContractStatus
# Successors the automatic renewal voids (renewals.services.successor_void_if_unsigned).
UNSIGNED = (S.DRAFT, S.AWAITING_SIGNATURE)


@dataclass(frozen=True)
class AutoRenewalPrice:
    """The automatic renewal's term and price: ``months`` per term (for an open-ended
    continuation, the months billed at a time), from ``start`` to ``end``.
    ``member_benefits``: the total has the member's loyalty benefits in it (a discount, a
    free extra service), so it is not the price list's price: the pages say so."""

    start: dt.date
    end: dt.date
    months: int
    open_ended: bool
    total: Decimal
    currency: str
    member_benefits: bool = False


@dataclass(frozen=True)
class AutoRenewalOutlook:
    """``last_day``: the last day of the current term, when the automatic renewal runs (an
    offer not signed by then is voided). ``offer``: the unsigned successor it would void
    (None if there is none). ``signed``: the signed successor that takes over (then the
    automatic renewal does not run and ``price`` is None)."""

    contract: Contract
    last_day: dt.date
    price: AutoRenewalPrice | None
    offer: Contract | None = None
    signed: Contract | None = None

    @property
    def renews(self) -> bool:
        return self.signed is None

    @property
    def offer_awaits_signature(self) -> bool:
        return self.offer is not None and self.offer.status == S.AWAITING_SIGNATURE


def auto_renewal_price(contract: Contract, *, on: dt.date) -> AutoRenewalPrice:
    """What an automatic renewal run on ``on`` would make of ``contract``: its term and its
    price from today's price list with the member's benefits on ``on``. Read only: the
    benefits are read as the renewal will read them, but nothing is locked."""
    loyalty = renewal_benefits_preview(customer=contract.customer, on=on)
    terms = auto_renewal_terms(contract, loyalty=loyalty)
    return AutoRenewalPrice(
        start=terms.start,
        end=terms.end,
        months=terms.months,
        open_ended=terms.open_ended,
        total=terms.total,
        currency=contract.currency,
        member_benefits=bool(loyalty.benefits),
    )


def signed_successor(contract: Contract) -> Contract | None:
    """The signed renewal that takes over from ``contract`` at the end of its term (then its
    automatic renewal does not run, whatever its switch says), or None. The switch stays
    the contract's own: it does not carry over to the successor, which has its own."""
    return (
        Contract.objects.filter(predecessor=contract, status__in=SUCCESSOR_TAKES_OVER)
        .only("id", "number", "status", "predecessor_id")
        .first()
    )


def auto_renewal_outlook(contract: Contract, *, today: dt.date) -> AutoRenewalOutlook | None:
    """What happens at the end of ``contract``'s term if nobody acts (see the module)."""
    if contract.status != S.ACTIVE or not contract.auto_renew or contract.end_date < today:
        return None
    if not has_valid_consent(contract):
        return None
    if ContractEvent.objects.filter(
        contract=contract, kind=HELD, payload__term_end=contract.end_date.isoformat()
    ).exists():
        return None
    successor = Contract.objects.filter(predecessor=contract).first()
    if successor is not None and successor.status in SUCCESSOR_TAKES_OVER:
        return AutoRenewalOutlook(
            contract=contract, last_day=contract.end_date, price=None, signed=successor
        )
    offer = successor if successor is not None and successor.status in UNSIGNED else None
    return AutoRenewalOutlook(
        contract=contract,
        last_day=contract.end_date,
        price=auto_renewal_price(contract, on=max(today, contract.end_date)),
        offer=offer,
    )


def auto_renewal_outlooks_for_offers(
    contracts: list[Contract], *, today: dt.date
) -> dict[int, AutoRenewalOutlook]:
    """For a list of one customer's contracts (the portal dashboard lists predecessors and
    the offers that renew them together): the outlook of each running contract with
    automatic renewal on whose renewal offer waits for the signature, by the contract's id.
    Found in the list itself (no query for a customer without such an offer)."""
    running = {c.pk: c for c in contracts if c.status == S.ACTIVE and c.auto_renew}
    found: dict[int, AutoRenewalOutlook] = {}
    for offer in contracts:
        if offer.status != S.AWAITING_SIGNATURE or offer.predecessor_id not in running:
            continue
        outlook = auto_renewal_outlook(running[offer.predecessor_id], today=today)
        if outlook is not None and outlook.offer_awaits_signature:
            found[offer.predecessor_id] = outlook
    return found

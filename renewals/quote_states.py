"""A renewal quote's workflow: draft → sent → signed, or withdrawn before the signature.

Nothing else assigns ``Quote.status``. A quote is created as a draft (``quote_create``);
the functions below are the only ways it changes. Each works on the quote row locked
with :func:`quote_lock` (callers in renewals hold the case lock first), checks the
table, writes the status and one ``ContractEvent`` on the renewed contract's timeline in
the same transaction, and publishes it after the commit:

- ``quote_sent``      draft → sent (the successor went out for signature);
- ``quote_updated``   sent → draft (a revision; the same event a draft's revision writes);
- ``quote_signed``    sent → signed (frozen for good);
- ``quote_withdrawn`` draft or sent → withdrawn (the renewal was lost or renewed
  another way).

The events keep the contract's ``from_status``/``to_status`` empty: the quote's statuses
are in the payload (``from_quote_status``, ``to_quote_status``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from contracts.models import ContractEvent
from core.errors import InvalidTransition
from core.events import actor_or_none
from core.state_machine import StateMachine
from renewals.models import Quote, QuoteStatus

QUOTE_TRANSITIONS: dict[str, frozenset[str]] = {
    QuoteStatus.DRAFT: frozenset({QuoteStatus.SENT, QuoteStatus.WITHDRAWN}),
    QuoteStatus.SENT: frozenset({QuoteStatus.DRAFT, QuoteStatus.SIGNED, QuoteStatus.WITHDRAWN}),
    QuoteStatus.SIGNED: frozenset(),
    QuoteStatus.WITHDRAWN: frozenset(),
}

QUOTES: StateMachine[Quote] = StateMachine(
    Quote, QUOTE_TRANSITIONS, initial=frozenset({QuoteStatus.DRAFT})
)

# Statuses in which the quote is still an offer (editable, may be withdrawn).
OPEN_QUOTE_STATUSES = (QuoteStatus.DRAFT, QuoteStatus.SENT)


def _event_factory(
    *, by: Any, kind: str, reason: str = "", payload: Mapping[str, Any] | None = None
) -> Callable[[Quote, str, str], ContractEvent]:
    def build(quote: Quote, current: str, to: str) -> ContractEvent:
        contract_id = (
            Quote.objects.filter(pk=quote.pk).values_list("case__contract_id", flat=True).get()
        )
        return ContractEvent(
            contract_id=contract_id,
            kind=kind,
            actor=actor_or_none(by),
            reason=reason[:500],
            payload={
                "quote": quote.number,
                "revision": quote.revision,
                "from_quote_status": current,
                "to_quote_status": to,
                **(payload or {}),
            },
        )

    return build


def quote_lock(quote: Quote) -> Quote:
    """Lock the quote row (inside the caller's transaction, after the case) and return it
    fresh."""
    return Quote.objects.select_for_update().get(pk=quote.pk)


def quote_mark_sent(locked: Quote, *, by: Any, updates: Mapping[str, Any] | None = None) -> Quote:
    """Draft → sent, with ``updates`` (documents, ``sent_at``) written in the same row."""
    if locked.status != QuoteStatus.DRAFT:
        raise InvalidTransition(_("Only a draft quote can be sent."))
    return QUOTES.change_locked(
        locked, QuoteStatus.SENT, event=_event_factory(by=by, kind="quote_sent"), updates=updates
    )


def quote_reopen(
    locked: Quote,
    *,
    by: Any,
    payload: Mapping[str, Any] | None = None,
    updates: Mapping[str, Any] | None = None,
) -> Quote:
    """Sent → draft: the quote is being revised and has to be sent again. Writes the
    revision's ``quote_updated`` event (``payload`` adds to it)."""
    return QUOTES.change_locked(
        locked,
        QuoteStatus.DRAFT,
        event=_event_factory(by=by, kind="quote_updated", payload=payload),
        updates=updates,
    )


def quote_mark_signed(locked: Quote, *, by: Any, payload: Mapping[str, Any] | None = None) -> Quote:
    """Sent → signed. The signature evidence is the caller's (``Signature`` row)."""
    if locked.status == QuoteStatus.SIGNED:
        raise InvalidTransition(_("This quote is already signed."))
    return QUOTES.change_locked(
        locked,
        QuoteStatus.SIGNED,
        event=_event_factory(by=by, kind="quote_signed", payload=payload),
    )


def quote_withdraw(quote: Quote, *, by: Any = None, reason: str = "") -> bool:
    """Draft or sent → withdrawn. Returns False (and changes nothing) when the quote is
    no longer an offer (signed or withdrawn already), as the callers expect: losing a
    case or renewing it automatically withdraws whatever is still open. Locks the quote
    itself (callers in renewals hold the case lock)."""
    with transaction.atomic():
        locked = quote_lock(quote)
        if locked.status not in OPEN_QUOTE_STATUSES:
            return False
        QUOTES.change_locked(
            locked,
            QuoteStatus.WITHDRAWN,
            event=_event_factory(by=by, kind="quote_withdrawn", reason=reason),
        )
    quote.refresh_from_db(fields=["status", "updated_at"])
    return True

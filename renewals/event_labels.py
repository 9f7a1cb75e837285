"""Labels for the contract events renewals and billing write, for the staff timeline and
the customer's history in the portal. The pages that show a timeline import them (they
sit above renewals); nothing is registered into other apps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from django.utils.translation import gettext_lazy as _

STAFF_LABELS = {
    "renewal_opened": _("Renewal case opened"),
    "renewal_intent": _("Customer's answer recorded"),
    "renewal_responded": _("Customer answered the renewal question"),
    "renewal_quote_sent": _("Renewal quote sent"),
    "renewal_signed": _("Renewal signed"),
    "renewal_paid": _("Renewal paid"),
    "renewal_won": _("Renewal won"),
    "renewal_lost": _("Renewal lost"),
    "renewal_contact": _("Contact with the customer noted"),
    "renewal_flagged": _("Renewal flagged for the account manager"),
    "quote_created": _("Renewal quote prepared"),
    "quote_updated": _("Renewal quote revised"),
    # The quote's own status changes, written with the case's step of the same action
    # (``timeline_merge`` shows that one only): there is no separate "mark as sent".
    "quote_sent": _("Renewal quote sent"),
    "quote_signed": _("Renewal signed"),
    "quote_withdrawn": _("Quote withdrawn"),
    "auto_renewal": _("Automatic renewal started"),
    "auto_renewed": _("Renewed automatically"),
    "scheduled": _("Scheduled to start"),
    "successor_detached": _("Unsigned renewal draft replaced"),
    "renewal_successor_taken_over": _("Existing renewal draft taken over by the quote"),
    "invoice_issued": _("Invoice issued"),
    "invoice_voided": _("Invoice voided"),
    "invoice_paid": _("Invoice paid"),
    "payment_recorded": _("Payment recorded"),
    "credit_note_issued": _("Credit note issued"),
    "refund_recorded": _("Refund paid"),
    "dunning_sent": _("Overdue reminder sent"),
    # Written by payments (refunds through the provider, saved methods, auto-charge) and by
    # the contracts' consent ledger for them.
    "provider_refund_succeeded": _("Refund confirmed by the payment provider"),
    "provider_refund_failed": _("Refund refused by the payment provider: to pay by hand"),
    "payment_method_saved": _("Payment method saved for automatic payment"),
    "payment_method_failed": _("Payment method not saved"),
    "payment_method_revoked": _("Automatic payment stopped"),
    "payment_consent_given": _("Consent to automatic payment recorded"),
    "payment_consent_withdrawn": _("Consent to automatic payment withdrawn"),
    "auto_charge_failed": _("Automatic payment failed: handed to overdue reminders"),
    # Written by lifecycle.auto_renewal under the compliance rules.
    "auto_renewal_held": _("Automatic renewal held: the notice or price rules were not met"),
    "continues_open_ended": _("Continues with no fixed end (open-ended contract)"),
}

CUSTOMER_LABELS = {
    "renewal_responded": _("You answered the renewal question"),
    "renewal_intent": _("You answered the renewal question"),
    "renewal_quote_sent": _("Renewal quote sent to you"),
    "renewal_signed": _("You signed the renewal"),
    "renewal_paid": _("Renewal paid"),
    "renewal_won": _("Renewal complete"),
    "renewal_lost": _("Not renewed"),
    "auto_renewed": _("Renewed automatically"),
    "scheduled": _("Scheduled to start"),
    "invoice_issued": _("Invoice issued"),
    "payment_recorded": _("Payment received"),
    "credit_note_issued": _("Credit note issued"),
    "refund_recorded": _("Refund paid"),
    "dunning_sent": _("Payment reminder sent"),
    "provider_refund_succeeded": _("Refund sent back to your payment method"),
    "payment_method_saved": _("Payment method saved for automatic payment"),
    "payment_method_failed": _("Payment method not saved"),
    "payment_method_revoked": _("Automatic payment stopped"),
    "payment_consent_given": _("You authorised automatic payment"),
    "payment_consent_withdrawn": _("You withdrew the automatic payment authorisation"),
    "auto_charge_failed": _("Automatic payment did not go through: please pay online"),
    "auto_renewal_held": _("Not renewed automatically: waiting for your confirmation"),
    "continues_open_ended": _("Continues with no fixed end: you can end it at any time"),
}

# Staff bookkeeping the customer does not need to see.
INTERNAL_KINDS = {
    "renewal_opened",
    "renewal_contact",
    "renewal_flagged",
    "quote_created",
    "quote_updated",
    "quote_sent",
    "quote_signed",
    "quote_withdrawn",
    "invoice_paid",
    "successor_detached",
    "renewal_successor_taken_over",
    "invoice_voided",
    "auto_renewal",
    # A refused provider refund is paid by hand: the customer sees the refund when it is paid.
    "provider_refund_failed",
}


class _Event(Protocol):
    contract_id: int
    kind: str
    payload: Any


E = TypeVar("E", bound=_Event)


def _quote_sending(event: _Event) -> tuple[int, str, Any]:
    payload = event.payload or {}
    return (event.contract_id, str(payload.get("quote", "")), payload.get("revision"))


def timeline_merge(events: Iterable[E]) -> list[E]:
    """A timeline's events with one row per action. Sending a quote writes the quote's
    status change (``quote_sent``) and the case's step (``renewal_quote_sent``: the
    quote, its revision and total) in one transaction, and signing writes ``quote_signed``
    beside the case's ``renewal_signed``: the case's row stays, the quote's row of the
    same action goes (a quote's row with no case step beside it stays, labelled alike).
    Keeps the order it is given."""
    rows = list(events)
    sent = {_quote_sending(e) for e in rows if e.kind == "renewal_quote_sent"}
    signed = {e.contract_id for e in rows if e.kind == "renewal_signed"}
    return [
        e
        for e in rows
        if not (
            (e.kind == "quote_sent" and _quote_sending(e) in sent)
            or (e.kind == "quote_signed" and e.contract_id in signed)
        )
    ]

"""The successor contract a renewal case writes, and the one it may find already there.

``Contract.predecessor`` is one-to-one: a contract has at most one successor. One can exist
before the case writes its own: a draft staff prepared by hand, one an import brought in, an
abandoned (void) attempt, or a renewal signed outside the case. The case then takes the
unsigned one over, lets go of a void one, and refuses, with the reason, to replace one that
has a signature, money or a consent on it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contracts import services as contract_services
from contracts.models import Contract, ContractStatus
from contracts.services import event_record
from core.errors import DomainError
from renewals.models import RenewalCase

# Unsigned: nobody has agreed to these yet, so the quote may rewrite them.
UNSIGNED = (ContractStatus.DRAFT, ContractStatus.AWAITING_SIGNATURE)


def successor_refusal(*, contract: Contract) -> DomainError | None:
    """Why ``contract`` (a successor found in place) cannot be taken over by a quote, or
    None when it can. Something signed, invoiced or consented to is a record of what the
    customer agreed or paid: it is never rewritten from a quote."""
    if contract.status not in UNSIGNED or contract.signed_at or contract.signed_document:
        return DomainError(
            _(
                "Contract %(number)s already renews this contract and is signed (%(status)s). "
                "A quote cannot replace a signed contract: continue the renewal with that "
                "contract, or cancel it first."
            )
            % {"number": contract.number, "status": contract.get_status_display()},
            code="successor_signed",
        )
    if contract.invoices.exclude(status="void").exists() or contract.consents.exists():
        return DomainError(
            _(
                "Contract %(number)s, an unsigned renewal of this contract, already has an "
                "invoice or an auto-renewal consent recorded on it, so the quote cannot take "
                "it over. Void that contract on its page first, or continue with it."
            )
            % {"number": contract.number},
            code="successor_in_use",
        )
    return None


def successor_in_place(*, predecessor: Contract) -> Contract | None:
    """The contract that already renews ``predecessor``, unless it is void."""
    return (
        Contract.objects.filter(predecessor=predecessor).exclude(status=ContractStatus.VOID).first()
    )


def successor_detach(*, predecessor: Contract, successor: Contract, by: Any = None) -> None:
    """Let an abandoned (void) successor go: it keeps its number and history but no longer
    holds the one-to-one ``predecessor`` link, so a new successor can be written."""
    Contract.objects.filter(pk=successor.pk).update(predecessor=None)
    RenewalCase.objects.filter(successor=successor).update(successor=None)
    event_record(
        contract=predecessor,
        kind="successor_detached",
        by=by,
        payload={"successor": successor.number},
    )


def successor_claim_for_case(*, case: RenewalCase, by: Any) -> Contract | None:
    """The draft successor the case's quote is written into, or None when a new one has to
    be created. Call inside a transaction with the case locked.

    The case's own successor is used as it is; otherwise an unsigned successor already in
    place is taken over (sent for signature outside the quote: back to draft first). A void
    one is let go. Anything signed, invoiced or consented to raises ``DomainError``.
    """
    predecessor = case.contract
    own = case.successor
    if own is not None and own.status == ContractStatus.VOID:
        # Voided on the contract page after the quote went out: start a new one.
        successor_detach(predecessor=predecessor, successor=own, by=by)
        case.successor = None
        own = None
    found = (
        Contract.objects.select_for_update().filter(predecessor=predecessor).first()
        if own is None
        else Contract.objects.select_for_update().get(pk=own.pk)
    )
    if found is None:
        return None
    if found.status == ContractStatus.VOID:
        successor_detach(predecessor=predecessor, successor=found, by=by)
        return None
    refusal = successor_refusal(contract=found)
    if refusal is not None:
        raise refusal
    if found.status == ContractStatus.AWAITING_SIGNATURE:
        found = contract_services.contract_return_to_draft(
            contract=found, by=by, reason=_("Taken over by the renewal quote")
        )
    if case.successor_id != found.pk:
        case.successor = found
        case.save(update_fields=["successor", "updated_at"])
        event_record(
            contract=predecessor,
            kind="renewal_successor_taken_over",
            by=by,
            payload={"case": case.pk, "successor": found.number},
        )
    return found


def successor_create_for_case(*, case: RenewalCase, by: Any, **draft: Any) -> Contract:
    """Create the case's successor draft. Another process may have written a successor of
    the same contract since ``successor_claim_for_case`` looked (the unique predecessor
    column decides): then the action is refused with a message, not a server error."""
    predecessor = case.contract
    try:
        with transaction.atomic():
            successor = contract_services.contract_create_draft(
                predecessor=predecessor, by=by, **draft
            )
    except IntegrityError:
        if not Contract.objects.filter(predecessor=predecessor).exists():
            raise
        raise DomainError(
            _(
                "Another renewal contract for %(number)s was written at the same moment. "
                "Reload the page and try again."
            )
            % {"number": predecessor.number},
            code="successor_race",
        ) from None
    case.successor = successor
    case.save(update_fields=["successor", "updated_at"])
    return successor

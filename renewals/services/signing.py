"""Signing online (portal) and offline (scan), then invoicing the successor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.services import invoice_plan_issue
from contracts import services as contract_services
from contracts.models import (
    Contract,
    ContractStatus,
)
from core.errors import DomainError, InvalidTransition
from core.events import actor_or_none
from core.models import DocumentKind
from core.pdf import document_store, sha256_hex
from notifications.customer_messages import message_to_customer
from renewals.case_states import case_lock, case_stage_change
from renewals.models import (
    Quote,
    QuoteStatus,
    RenewalCase,
    Signature,
    SignatureMethod,
    Stage,
)
from renewals.quote_states import quote_lock, quote_mark_signed
from retention.selectors import contract_has_open_cancellation, renewal_blocked_by_cancellation

# --- signing -----------------------------------------------------------------------------


def _first_due_date(successor: Contract) -> dt.date:
    """Due in 14 days, or by the start date if that is sooner, never before today."""
    today = timezone.localdate()
    return max(today, min(today + dt.timedelta(days=14), successor.start_date))


def _quote_mark_signed(
    *,
    case: RenewalCase,
    quote: Quote,
    signature: Signature,
    by: Any,
) -> None:
    """Common tail of online and offline signing, inside the caller's transaction with the
    case and quote locked: sign the successor, invoice it, move the case."""
    successor = case.successor
    if successor is None or successor.status != ContractStatus.AWAITING_SIGNATURE:
        # Voided or detached since the quote went out: there is nothing left to sign.
        raise InvalidTransition(
            _("This quote cannot be signed any more; your account manager will send a new one.")
        )
    predecessor = Contract.objects.select_for_update().get(pk=case.contract_id)
    # Same row lock as the cancellation flow takes: a cancellation request and a signature
    # on the same contract queue here, and whichever comes second is refused.
    if contract_has_open_cancellation(contract_id=predecessor.pk):
        raise DomainError(
            _(
                "A cancellation of this contract is in progress. It cannot be renewed until "
                "the cancellation request is withdrawn."
            ),
            code="cancellation_open",
        )
    if predecessor.status == ContractStatus.TERMINATED:
        raise InvalidTransition(
            _("The current contract was cancelled; it can no longer be renewed.")
        )
    # Under the predecessor's row lock, which cancellation_submit also takes: a renewal
    # signature and a cancellation racing on the same contract cannot both win.
    if renewal_blocked_by_cancellation(contract_id=predecessor.pk):
        raise InvalidTransition(
            _("A cancellation of the current contract is open; withdraw it before renewing.")
        )
    contract_services.contract_record_signature(
        contract=successor,
        by=by,
        signed_at=signature.signed_at,
        payload={
            "method": signature.method,
            "signer": signature.signer_name,
            "sha256": signature.sha256,
            "quote": quote.number,
        },
    )
    Contract.objects.filter(pk=successor.pk).update(signed_document=signature.document.file.name)
    quote_mark_signed(
        quote,
        by=by,
        payload={"method": signature.method, "signer": signature.signer_name},
    )
    invoice_plan_issue(
        contract=successor,
        installments=quote.installments,
        first_due_date=_first_due_date(successor),
        by=by,
    )
    case_stage_change(
        case,
        Stage.SIGNED,
        by=by,
        payload={"method": signature.method, "signer": signature.signer_name},
        updates={
            "next_action": gettext_noop("Wait for the first payment"),
            "next_action_date": _first_due_date(successor),
        },
    )
    message_to_customer(
        kind="renewal_signed",
        customer=predecessor.customer,
        contract=successor,
        context={"contract_number": successor.number, "quote_number": quote.number},
        dedupe_key=f"renewal-signed:{quote.pk}",
    )


def _lock_for_signing(quote: Quote) -> tuple[RenewalCase, Quote]:
    case = case_lock(quote.case)
    locked = quote_lock(quote)
    if locked.status == QuoteStatus.SIGNED:
        raise InvalidTransition(_("This quote is already signed."))
    if locked.status != QuoteStatus.SENT or case.stage != Stage.QUOTE_SENT:
        raise InvalidTransition(
            _(
                "This quote cannot be signed any more "
                "(it was revised, withdrawn or the renewal closed)."
            )
        )
    return case, locked


def quote_sign_online(
    *,
    quote: Quote,
    full_name: str,
    accepted: bool,
    document_sha256: str,
    user: Any = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Signature:
    """The customer signs in the portal: they ticked acceptance and typed their full name
    while looking at the contract PDF whose SHA-256 the page carried (``document_sha256``).

    If the quote was revised in between, that hash no longer matches and the signature is
    refused: a customer only ever signs the exact bytes they were shown. The signed PDF is
    stored again as a "signed" document and its hash recorded with time, IP and browser.
    """
    full_name = " ".join((full_name or "").split())
    if not accepted:
        raise DomainError(_("Tick the box to accept the contract."))
    if len(full_name) < 2:
        raise DomainError(_("Type your full name to sign."))
    with transaction.atomic():
        case, locked = _lock_for_signing(quote)
        doc = locked.contract_document
        if doc is None or doc.sha256 != document_sha256:
            raise DomainError(
                _("The contract changed while you were reading it. Please review it again.")
            )
        try:
            with doc.file.open("rb") as fh:
                data = fh.read()
        except OSError:
            data = b""
        digest = sha256_hex(data)
        if digest != doc.sha256:  # the stored file no longer matches what we showed
            raise DomainError(_("The contract document is damaged; contact your account manager."))
        successor = case.successor
        stored = document_store(
            data=data,
            kind=DocumentKind.SIGNED,
            title=_("Contract %(number)s, signed online by %(name)s")
            % {"number": successor.number if successor else "", "name": full_name},
            customer=case.contract.customer,
            contract=successor,
            filename=f"{successor.number if successor else locked.number}-signed.pdf",
        )
        signature = Signature.objects.create(
            quote=locked,
            method=SignatureMethod.ONLINE,
            signer_name=full_name[:200],
            signed_at=timezone.now(),
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:500],
            sha256=digest,
            document=stored,
            signed_by_user=actor_or_none(user),
        )
        case.last_contact_at = signature.signed_at
        case.save(update_fields=["last_contact_at"])
        _quote_mark_signed(case=case, quote=locked, signature=signature, by=user)
    return signature


def quote_sign_offline(
    *,
    quote: Quote,
    by: Any,
    signer_name: str,
    signed_at: dt.datetime,
    scan: bytes,
    filename: str,
) -> Signature:
    """Staff upload the scan of a contract signed on paper and record who signed and when."""
    signer_name = " ".join((signer_name or "").split())
    if len(signer_name) < 2:
        raise DomainError(_("Enter the name of the person who signed."))
    if not scan:
        raise DomainError(_("Upload the signed scan."))
    if signed_at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(_("The signing time cannot be in the future."))
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "pdf").lower()[:5]
    with transaction.atomic():
        case, locked = _lock_for_signing(quote)
        successor = case.successor
        stored = document_store(
            data=scan,
            kind=DocumentKind.SIGNED,
            title=_("Contract %(number)s, signed on paper by %(name)s")
            % {"number": successor.number if successor else "", "name": signer_name},
            customer=case.contract.customer,
            contract=successor,
            filename=f"{successor.number if successor else locked.number}-signed-scan.{ext}",
            by=by,
        )
        signature = Signature.objects.create(
            quote=locked,
            method=SignatureMethod.OFFLINE,
            signer_name=signer_name[:200],
            signed_at=signed_at,
            sha256=stored.sha256,
            document=stored,
            recorded_by=actor_or_none(by),
        )
        _quote_mark_signed(case=case, quote=locked, signature=signature, by=by)
    return signature

"""The request workflow on the customer's side: submit, continue, withdraw. Confirming,
rejecting and the contact log are in ``request_decisions``."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractStatus
from core.errors import DomainError, InvalidTransition
from core.models import TaskKind
from core.services import in_language_of, task_create

from .. import messaging, selectors
from ..models import (
    CancellationRequest,
    Channel,
    Kind,
    OfferResponse,
    Reason,
    Status,
)
from ..request_states import request_status_change
from .offers import _offer_accept_locked

# confirm/reject/contact log are re-exported: the package imports them from this module.
from .request_decisions import _confirm_locked
from .request_decisions import cancellation_confirm as cancellation_confirm
from .request_decisions import cancellation_reject as cancellation_reject
from .request_decisions import consent_text_off as consent_text_off
from .request_decisions import contact_log_add as contact_log_add
from .request_decisions import rejection_ground as rejection_ground
from .request_steps import (
    _actor,
    _locked,
    _message_context,
    _offer_decline,
    _refresh,
    _refuse,
    _task_close,
    request_event,
    sla_due_at,
    task_key,
)

log = logging.getLogger(__name__)

# --- submission --------------------------------------------------------------------------


def cancellation_submit(
    *,
    contract: Contract,
    kind: str,
    reason: str,
    by: Any,
    reason_text: str = "",
    channel: str = Channel.PORTAL,
    token: str | None = None,
    today: dt.date | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    offer_answer: str | None = None,
    offer_id: int | None = None,
) -> CancellationRequest:
    """Record the customer's request and pick at most one save offer for it.

    The same form posted twice (same ``token``) returns the first request. When no offer
    fits, the request goes straight on as if the customer had pressed "continue".

    ``offer_answer`` is for a flow that showed the fitting offer *before* submitting (the
    portal: offer, then a final confirmation): ``"declined"`` records offer ``offer_id``
    as shown and declined (if it is still the one that fits) and goes on; ``"accepted"``
    keeps the customer with it at once (the request ends ``retained``), and is refused
    unless ``offer_id`` is the offer that fits this reason, tier and day. Without it the
    fitting offer waits on the request for the customer's answer (staff, API).
    """
    today = today or timezone.localdate()
    if offer_answer not in (None, OfferResponse.DECLINED, OfferResponse.ACCEPTED):
        raise ValueError(f"unknown offer answer {offer_answer!r}")
    if kind not in Kind.values:
        raise DomainError(_("Choose how you want to end the contract."))
    if reason not in Reason.values:
        raise DomainError(_("Choose a reason."))
    # Saved as given otherwise: every caller passes one of the choices (the portal its
    # default, the staff form, the API and the demo Channel.STAFF), anything else is a bug.
    if channel not in Channel.values:
        raise DomainError(
            _(
                "Unknown channel %(channel)s: a cancellation request comes from the portal "
                "or from staff on behalf of the customer."
            )
            % {"channel": repr(channel)},
            code="invalid_channel",
        )
    if token:
        existing = CancellationRequest.objects.filter(submission_token=token).first()
        if existing is not None and existing.contract_id == contract.pk:
            return existing
    try:
        with transaction.atomic():
            locked = Contract.objects.select_for_update().get(pk=contract.pk)
            if token:
                # A double click that waited on the lock behind the first submission.
                existing = CancellationRequest.objects.filter(submission_token=token).first()
                if existing is not None and existing.contract_id == contract.pk:
                    return existing
            request = _submit_locked(
                contract=locked,
                kind=kind,
                reason=reason,
                reason_text=reason_text,
                by=by,
                channel=channel,
                token=token,
                today=today,
                offer_answer=offer_answer,
                offer_id=offer_id,
            )
            if offer_answer == OfferResponse.ACCEPTED:
                _offer_accept_locked(contract=locked, locked=request, by=by, today=today)
            elif request.offer_id is None or offer_answer == OfferResponse.DECLINED:
                _continue_locked(
                    contract=locked,
                    locked=request,
                    by=by,
                    today=today,
                    ip_address=ip_address,
                    user_agent=user_agent,
                )
    except IntegrityError as exc:
        # The database's one-open-request rule or the token caught a race the lock did not.
        if token:
            existing = CancellationRequest.objects.filter(submission_token=token).first()
            if existing is not None and existing.contract_id == contract.pk:
                return existing
        raise DomainError(
            _("There is already an open cancellation request for this contract."),
            code="duplicate",
        ) from exc
    return _refresh(request)


def _submit_locked(
    *,
    contract: Contract,
    kind: str,
    reason: str,
    reason_text: str,
    by: Any,
    channel: str,
    token: str | None,
    today: dt.date,
    offer_answer: str | None = None,
    offer_id: int | None = None,
) -> CancellationRequest:
    if contract.status not in selectors.CANCELLABLE[kind]:
        raise InvalidTransition(
            _("This contract is “%(status)s” and can no longer be cancelled this way.")
            % {"status": contract.get_status_display()}
        )
    # A renewal signed for this contract wins: its successor takes over at the term end.
    if (
        Contract.objects.filter(predecessor=contract)
        .exclude(
            status__in=[
                ContractStatus.DRAFT,
                ContractStatus.AWAITING_SIGNATURE,
                ContractStatus.VOID,
            ]
        )
        .exists()
    ):
        raise DomainError(
            _(
                "A renewal of this contract has already been signed. Cancel the renewed "
                "contract instead, or contact your account manager."
            ),
            code="renewal_signed",
        )
    if selectors.contract_has_open_cancellation(contract_id=contract.pk):
        raise DomainError(
            _("There is already an open cancellation request for this contract."),
            code="duplicate",
        )
    preview = selectors.cancellation_preview(contract=contract, today=today).for_kind(kind)
    if preview is None:
        raise DomainError(
            _(
                "The notice period runs past the end of the term, so the contract ends "
                "sooner on its own: choose not to renew instead."
            ),
            code="notice_past_term",
        )
    now = timezone.now()
    offer = selectors.offer_for(reason=reason, tier=contract.customer.effective_tier, today=today)
    if offer_answer and (offer is None or offer.pk != offer_id):
        # The customer answered an offer that no longer fits (it expired meanwhile, the
        # catalogue changed) or never did (a tampered form): accept nothing of the kind,
        # and record no offer for a decline.
        if offer_answer == OfferResponse.ACCEPTED:
            raise DomainError(_("This offer is no longer available."), code="offer_unavailable")
        offer = None
    request = CancellationRequest.objects.create(
        contract=contract,
        customer_id=contract.customer_id,
        kind=kind,
        status=Status.SUBMITTED,
        reason=reason,
        reason_text=(reason_text or "").strip()[:4000],
        channel=channel,
        requested_by=_actor(by),
        submission_token=token or None,
        submitted_at=now,
        sla_due_at=sla_due_at(now),
        requested_effective_date=preview.effective_date,
        preview=preview.as_dict(),
        currency=contract.currency,
        offer=offer,
        offer_shown_at=now if offer else None,
    )
    request_event(
        request=request,
        kind="submitted",
        by=by,
        to_status=Status.SUBMITTED,
        payload={"reason": reason, "channel": channel},
    )
    if offer is not None:
        request_event(
            request=request,
            kind="offer_shown",
            by=None,
            payload={"offer": offer.code},
            contract_event=False,
        )
    owner = contract.owner or contract.customer.account_manager
    if owner is not None:
        # Worded for the manager (the customer may have asked in another language).
        with in_language_of(owner):
            title = _("Cancellation request: %(contract)s (%(kind)s)") % {
                "contract": contract.number,
                "kind": request.get_kind_display(),
            }
        task_create(
            assignee=owner,
            kind=TaskKind.CANCELLATION,
            title=title,
            due_date=timezone.localtime(request.sla_due_at).date(),
            details=request.reason_text,
            customer=contract.customer,
            contract=contract,
            dedupe_key=task_key(request),
        )
    return request


# --- the customer goes on, or stops ---------------------------------------------------------


def cancellation_continue(
    *,
    request: CancellationRequest,
    by: Any,
    today: dt.date | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> CancellationRequest:
    """ "Continue to cancel": decline the offer if one is waiting, then go on.

    Early termination goes to staff review; a non-renewal is confirmed at once.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        contract, locked = _locked(request)
        if locked.status == Status.IN_REVIEW:
            # Already going on (a second click), or an offer made by staff during the
            # review that the customer declines from the progress page.
            if locked.offer_id and locked.offer_response == OfferResponse.NONE:
                _offer_decline(locked, by=by)
            return _refresh(request)
        if locked.status != Status.SUBMITTED:
            if locked.status in (Status.CONFIRMED, Status.COMPLETED):
                return _refresh(request)  # a second click on the same button
            raise _refuse(locked, _("continued"))
        _continue_locked(
            contract=contract,
            locked=locked,
            by=by,
            today=today,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return _refresh(request)


def _continue_locked(
    *,
    contract: Contract,
    locked: CancellationRequest,
    by: Any,
    today: dt.date,
    ip_address: str | None,
    user_agent: str,
) -> None:
    if locked.offer_id and locked.offer_response == OfferResponse.NONE:
        _offer_decline(locked, by=by)
    if locked.kind == Kind.NON_RENEWAL:
        _confirm_locked(
            contract=contract,
            locked=locked,
            by=by,
            effective_date=None,
            today=today,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        return
    request_status_change(locked, Status.IN_REVIEW, by=by, expect_from=[Status.SUBMITTED])
    messaging.message_to_staff(
        kind="cancellation_submitted",
        user=contract.owner or contract.customer.account_manager,
        customer=contract.customer,
        contract=contract,
        context=_message_context(locked),
        dedupe_key=f"cancellation-submitted-{locked.pk}",
    )


def cancellation_withdraw(*, request: CancellationRequest, by: Any) -> CancellationRequest:
    """The customer changed their mind: before confirmation, or for a non-renewal until it
    takes effect. Auto-renewal is not switched back on by this: that needs the customer's
    explicit consent through the auto-renew switch."""
    with transaction.atomic():
        _contract, locked = _locked(request)
        if locked.status in (Status.WITHDRAWN, Status.RETAINED):
            return _refresh(request)
        if not locked.can_withdraw:
            raise InvalidTransition(
                _("A confirmed request can no longer be withdrawn online; contact us.")
            )
        request_status_change(
            locked, Status.WITHDRAWN, by=by, updates={"withdrawn_at": timezone.now()}
        )
        _task_close(locked, by=by)
        messaging.message_to_customer(
            kind="cancellation_withdrawn",
            customer=locked.customer,
            contract=locked.contract,
            context=_message_context(locked),
            dedupe_key=f"cancellation-withdrawn-{locked.pk}",
        )
    return _refresh(request)

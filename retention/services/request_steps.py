"""The steps the request services share: lock the contract then the request, write a
timeline event, the answer deadline (SLA), close the account manager's task, decline an
offer, and the context every cancellation message is rendered with."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract
from core.errors import InvalidTransition
from core.models import Task

from .. import policy
from ..models import (
    CancellationRequest,
    OfferResponse,
    RequestEvent,
)
from ..request_states import request_contract_event, request_event_row

log = logging.getLogger(__name__)


CONSENT_TEXT_VERSION = "retention-1"


def _actor(by: Any) -> Any:
    return by if (by is not None and getattr(by, "is_authenticated", False)) else None


def sla_business_days() -> int:
    return int(settings.RENEWDESK.get("CANCELLATION_SLA_BUSINESS_DAYS", 2))


def sla_due_at(submitted_at: dt.datetime) -> dt.datetime:
    """The answer deadline: N business days later, counted in the business time zone."""
    local = timezone.localtime(submitted_at)
    holidays = frozenset(settings.RENEWDESK.get("HOLIDAYS", ()))
    return policy.business_days_add(local, sla_business_days(), holidays=holidays)


def request_event(
    *,
    request: CancellationRequest,
    kind: str,
    by: Any = None,
    contract_event: bool = True,
    **fields: Any,
) -> RequestEvent:
    """One row on the request's timeline (``fields``: ``to_status``, ``note``, ``payload``,
    ``internal``) and, if asked, one on the contract's. For the events that do not change
    the status: a change writes its own (``retention.request_states``)."""
    event = request_event_row(request=request, kind=kind, by=by, **fields)
    event.save()
    if contract_event:
        request_contract_event(
            request=request,
            kind=kind,
            by=by,
            note=fields.get("note", ""),
            payload=fields.get("payload"),
        )
    return event


def _locked(request: CancellationRequest) -> tuple[Contract, CancellationRequest]:
    """Lock the contract, then the request (the fixed order every service uses)."""
    contract = Contract.objects.select_for_update().get(pk=request.contract_id)
    locked = CancellationRequest.objects.select_for_update().get(pk=request.pk)
    locked.contract = contract
    return contract, locked


def _refuse(locked: CancellationRequest, action: str) -> InvalidTransition:
    return InvalidTransition(
        _("A request that is “%(status)s” cannot be %(action)s.")
        % {"status": locked.get_status_display(), "action": action}
    )


def _refresh(request: CancellationRequest) -> CancellationRequest:
    request.refresh_from_db()
    return request


def task_key(request: CancellationRequest) -> str:
    return f"cancellation-request-{request.pk}"


def _task_close(request: CancellationRequest, *, by: Any) -> None:
    """The account manager's task for this request is done once the request is decided.

    A direct compare-and-swap update rather than core.services.task_complete: that
    service checks that a *user* completes their own task, while here the request's
    outcome closes it (whoever decided, possibly the customer).
    """
    actor = _actor(by)
    Task.objects.filter(dedupe_key=task_key(request), done_at__isnull=True).update(
        done_at=timezone.now(), done_by=actor if getattr(actor, "is_staff", False) else None
    )


def _offer_decline(locked: CancellationRequest, *, by: Any) -> None:
    locked.offer_response = OfferResponse.DECLINED
    locked.offer_responded_at = timezone.now()
    locked.save(update_fields=["offer_response", "offer_responded_at", "updated_at"])
    request_event(
        request=locked,
        kind="offer_declined",
        by=by,
        payload={"offer": locked.offer.code if locked.offer else ""},
    )


def _message_context(request: CancellationRequest) -> dict[str, Any]:
    contract = request.contract
    return {
        "request_id": request.pk,
        "contract_number": contract.number,
        "contract_id": contract.pk,
        "kind": request.kind,
        "kind_label": str(request.get_kind_display()),
        "status": request.status,
        "effective_date": request.effective_date.isoformat() if request.effective_date else "",
        "last_service_day": (request.effective_date - policy.ONE_DAY).isoformat()
        if request.effective_date
        else "",
        "fee": str(request.fee_amount),
        "refund": str(request.refund_amount),
        "fee_to_invoice": str(request.fee_to_invoice),
        "currency": request.currency,
        "offer_title": request.offer.title if request.offer_id and request.offer else "",
        "offer_description": request.offer.description
        if request.offer_id and request.offer
        else "",
        "progress_path": f"/portal/cancellations/{request.pk}/",
    }

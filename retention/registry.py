"""What retention plugs into other apps' registries (called from RetentionConfig.ready):
timeline labels for the contract events it writes, which of them stay staff-only, and
the portal's "pending actions" (an offer waiting for the customer's answer)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Labels for the staff contract timeline and the customer's contract history.
EVENT_LABELS: dict[str, Any] = {
    "cancellation_submitted": _("Cancellation requested"),
    "cancellation_in_review": _("Cancellation in review"),
    "cancellation_offer_made": _("Retention offer made"),
    "cancellation_offer_declined": _("Retention offer declined"),
    "cancellation_offer_accepted": _("Retention offer accepted, cancellation withdrawn"),
    "cancellation_confirmed": _("Cancellation confirmed"),
    "cancellation_withdrawn": _("Cancellation withdrawn"),
    "cancellation_rejected": _("Cancellation request rejected"),
    "cancellation_completed": _("Cancellation completed"),
    "cancellation_contact_logged": _("Contact about the cancellation logged"),
    "extended": _("Extended (free months)"),
    "paused": _("Paused"),
    "line_added": _("Service added"),
    "amendment_recorded": _("Downgrade recorded as an amendment"),
    "offer_granted": _("Offer granted for the next term"),
    "offer_used": _("Offer applied to a quote"),
    "winback_offered": _("New contract offered (win-back)"),
    "winback_from": _("Win-back of an earlier contract"),
}

# Staff bookkeeping that the customer's history does not show.
INTERNAL_KINDS = {"cancellation_contact_logged", "winback_offered", "winback_from"}


def _pending_actions(customer: Any, contracts: list[Any]) -> list[Any]:
    from portal.selectors import PendingAction

    from .models import CancellationRequest, OfferResponse, Status

    actions = []
    waiting = CancellationRequest.objects.filter(
        customer=customer,
        status__in=[Status.SUBMITTED, Status.IN_REVIEW],
        offer__isnull=False,
        offer_response=OfferResponse.NONE,
    ).select_related("contract", "offer")
    for req in waiting:
        actions.append(
            PendingAction(
                gettext("An offer is waiting for your answer (contract %(n)s)")
                % {"n": req.contract.number},
                str(req.offer.title) if req.offer else "",
                reverse("portal:cancellation-detail", args=[req.pk]),
                urgent=False,
            )
        )
    return actions


def _confirmation_attachment(message: Any) -> list[tuple[str, bytes, str]]:
    """The confirmation email carries its PDF (the durable-medium copy)."""
    if message.kind != "cancellation_confirmed" or message.channel != "email":
        return []
    # dedupe key "cancellation-confirmed-<request id>:email" (retention.messaging).
    head = message.dedupe_key.split(":", 1)[0]
    request_id = head.rsplit("-", 1)[-1]
    if not request_id.isdigit():
        return []
    from .models import CancellationRequest

    req = (
        CancellationRequest.objects.select_related("confirmation_document")
        .filter(pk=int(request_id), confirmation_document__isnull=False)
        .first()
    )
    if req is None or req.confirmation_document is None:
        return []
    document = req.confirmation_document
    with document.file.open("rb") as fh:
        data = fh.read()
    filename = document.file.name.rsplit("/", 1)[-1]
    return [(filename, data, "application/pdf")]


def register() -> None:
    try:
        from contracts import selectors as contract_selectors

        for kind, label in EVENT_LABELS.items():
            contract_selectors.EVENT_KIND_LABELS.setdefault(kind, label)
    except (ImportError, AttributeError):  # pragma: no cover - registry not there
        pass
    try:
        from notifications.channels import email as email_channel

        if _confirmation_attachment not in email_channel.ATTACHMENT_PROVIDERS:
            email_channel.ATTACHMENT_PROVIDERS.append(_confirmation_attachment)
    except (ImportError, AttributeError):  # pragma: no cover
        pass
    try:
        from portal import selectors as portal_selectors

        for kind, label in EVENT_LABELS.items():
            portal_selectors.EVENT_LABELS.setdefault(kind, label)
        portal_selectors.INTERNAL_EVENT_KINDS.update(INTERNAL_KINDS)
        if _pending_actions not in portal_selectors.PENDING_ACTION_PROVIDERS:
            portal_selectors.PENDING_ACTION_PROVIDERS.append(_pending_actions)
    except (ImportError, AttributeError):  # pragma: no cover
        pass

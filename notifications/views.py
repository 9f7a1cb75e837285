"""Staff views: the outbox, failed messages, one message, the bell's notifications."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.auth import staff_required
from core.errors import DomainError

from .forms import OutboxFilterForm
from .models import Channel, Message, MessageKind, MessageStatus
from .selectors import (
    message_kind_label,
    messages_visible_to,
    outbox_for_staff,
    staff_notifications_for,
)
from .services import message_retry, staff_mark_all_read

# The kinds the filter offers (a DISTINCT over the whole outbox would not stay fast).
KINDS = [
    MessageKind.RENEWAL_REMINDER,
    MessageKind.MESSAGE_FAILED,
    *MessageKind.CARE,
    "portal_login_link",
    "renewal_quote_sent",
    "renewal_signed",
    "auto_renewal_confirmation",
    "auto_renewal_blocked",
    "dunning",
    "satisfaction_survey",
    "feedback_reply",
    "cancellation_submitted",
    "cancellation_offer",
    "cancellation_offer_accepted",
    "cancellation_confirmed",
    "cancellation_rejected",
    "cancellation_withdrawn",
    "cancellation_completed",
    "campaign",
    "sla_claim_filed_staff",
    "sla_claim_approved",
    "sla_claim_rejected",
]


def _outbox(request, *, heading, forced_status: str = ""):
    form = OutboxFilterForm(request.GET)
    filters = form.filters()
    if forced_status:
        filters["status"] = forced_status
    valid = form.is_valid()
    # A filter in error (a NUL character, too long) lists nothing: the page says why.
    qs = outbox_for_staff(user=request.user, **filters) if valid else Message.objects.none()
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox.html",
        {
            "heading": heading,
            "form": form,
            "page_obj": page_obj,
            "filters": filters,
            "statuses": MessageStatus.choices,
            "channels": Channel.choices,
            "kinds": [(kind, message_kind_label(kind)) for kind in KINDS],
        },
        status=200 if valid else 400,
    )


@require_GET
@staff_required
def outbox(request):
    return _outbox(request, heading=gettext_lazy("Messages"))


@require_GET
@staff_required
def failed(request):
    return _outbox(request, heading=gettext_lazy("Failed messages"), forced_status="failed")


def _visible_message(request, pk: int) -> Message:
    qs = messages_visible_to(user=request.user).select_related("customer", "contract", "user")
    return get_object_or_404(qs, pk=pk)


@require_GET
@staff_required
def detail(request, pk: int):
    message = _visible_message(request, pk)
    return render(
        request,
        "notifications/detail.html",
        {
            "m": message,
            "attempts": message.attempt_log.all(),
            "can_retry": bool(message.customer_id),
        },
    )


@require_POST
@staff_required
def retry(request, pk: int):
    message = _visible_message(request, pk)
    try:
        message_retry(message=message, by=request.user)
        flash.success(request, _("The message will be sent again."))
    except DomainError as exc:
        flash.error(request, exc.message)
    return redirect("notifications:detail", pk=message.pk)


@require_GET
@staff_required
def mine(request):
    page_obj = Paginator(staff_notifications_for(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/mine.html", {"page_obj": page_obj})


@require_POST
@staff_required
def mine_read(request):
    staff_mark_all_read(user=request.user)
    return redirect("notifications:mine")

"""Staff side: the cancellation queue, a request's page, offers' statistics, win-back.

Thin: access through core.access (managers see their own book), writes through
retention.services, Post/Redirect/Get.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from contracts.access import contracts_visible_to
from core.auth import staff_required
from core.errors import DomainError
from lifecycle.winback import contract_winback_offer

from . import policy, selectors, services
from .forms import (
    CancelForm,
    ConfirmForm,
    ContactLogForm,
    OfferMakeForm,
    RejectForm,
    new_submission_token,
)
from .models import AWAITING_STAFF, Channel, Kind, OfferResponse

QUEUE_TABS = ("open", "confirmed", "closed")


def _get_request(request: HttpRequest, pk: int):
    return get_object_or_404(
        selectors.requests_visible_to(request.user).select_related(
            "contract", "customer", "offer", "confirmation_document", "requested_by"
        ),
        pk=pk,
    )


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in QUEUE_TABS:
        show = "open"
    qs = selectors.queue_for(request.user, show=show)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "r": r,
            "age": now - r.submitted_at,
            "overdue": r.is_overdue(now),
            "due_soon": r.status in AWAITING_STAFF
            and not r.is_overdue(now)
            and (r.sla_due_at - now).total_seconds() < 8 * 3600,
        }
        for r in page.object_list
    ]
    counts = {
        "open": selectors.queue_for(request.user, show="open").count(),
        "overdue": selectors.queue_for(request.user, show="open")
        .filter(sla_due_at__lt=now)
        .count(),
    }
    return render(
        request,
        "retention/queue.html",
        {
            "rows": rows,
            "page_obj": page,
            "show": show,
            "counts": counts,
            "sla_days": services.sla_business_days(),
        },
    )


@staff_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Record a request the customer made by phone, email or in person (channel "staff"),
    with the same preview the customer would see."""
    visible = contracts_visible_to(request.user).select_related("customer")
    number = (request.GET.get("number") or request.POST.get("number") or "").strip()
    contract = visible.filter(number__iexact=number).first() if number else None
    if contract is None:
        if number:
            messages.error(request, _("No contract %(number)s in your book.") % {"number": number})
        return redirect("retention:queue")
    open_request = selectors.open_request_for_contract(contract)
    if open_request is not None:
        messages.info(request, _("This contract already has an open cancellation request."))
        return redirect("retention:detail", pk=open_request.pk)
    preview = selectors.cancellation_preview(contract=contract)
    available = [k for k in (Kind.NON_RENEWAL, Kind.EARLY_TERMINATION) if preview.for_kind(k)]
    if request.method == "POST":
        form = CancelForm(request.POST, available_kinds=available)
        if form.is_valid():
            try:
                created = services.cancellation_submit(
                    contract=contract,
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                    reason_text=form.cleaned_data["reason_text"],
                    by=request.user,
                    channel=Channel.STAFF,
                    token=form.cleaned_data["token"] or None,
                    **_client(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Cancellation request recorded."))
                return redirect("retention:detail", pk=created.pk)
    else:
        form = CancelForm(available_kinds=available, initial={"token": new_submission_token()})
    return render(
        request,
        "retention/request_new.html",
        {"contract": contract, "form": form, "preview": preview, "available": available},
    )


@staff_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cancellation = _get_request(request, pk)
    contract = cancellation.contract
    today = timezone.localdate()
    preview = selectors.cancellation_preview(contract=contract, today=today)
    current = preview.for_kind(cancellation.kind)
    offers = selectors.offers_valid(today=today)
    suggested = selectors.offer_for(
        reason=cancellation.reason, tier=cancellation.customer.effective_tier, today=today
    )
    can_act = cancellation.status in AWAITING_STAFF
    earliest, latest = _effective_range(cancellation, today)
    return render(
        request,
        "retention/request_detail.html",
        {
            "cancellation": cancellation,
            "contract": contract,
            "customer": cancellation.customer,
            "preview_now": current,
            "preview_submitted": _preview_dates(cancellation.preview),
            "paid_known": preview.paid_known,
            "history": selectors.customer_history(customer=cancellation.customer),
            "events": cancellation.events.select_related("actor").order_by("at", "id"),
            "contacts": cancellation.contacts.select_related("by"),
            "can_act": can_act,
            "confirm_form": ConfirmForm(
                earliest=earliest,
                latest=latest,
                initial={"effective_date": current.effective_date if current else None},
            ),
            "renewal": selectors.renewal_in_progress(contract),
            "reject_form": RejectForm(),
            "rejection_ground": services.rejection_ground(cancellation),
            "offer_form": OfferMakeForm(offers=offers, initial={"offer": suggested}),
            "can_offer": can_act and cancellation.offer_id is None,
            # An empty catalogue is said, not shown as an empty select.
            "no_offers": not offers.exists(),
            "offer_waiting": can_act
            and cancellation.offer_id is not None
            and cancellation.offer_response == OfferResponse.NONE,
            "contact_form": ContactLogForm(),
            "now": timezone.now(),
        },
    )


def _preview_dates(preview: dict) -> dict:
    """The stored preview (JSON) with its dates as dates, to show like live numbers."""
    out = dict(preview or {})
    for key in ("effective_date", "last_service_day"):
        try:
            out[key] = dt.date.fromisoformat(out[key])
        except (KeyError, TypeError, ValueError):
            pass
    return out


def _done(request: HttpRequest, pk: int, fn, success: str) -> HttpResponse:
    try:
        fn()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("retention:detail", pk=pk)


def _invalid(request: HttpRequest, pk: int, form) -> HttpResponse:
    errors = "; ".join(
        f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}".strip(": ")
        for f, e in form.errors.items()
    )
    messages.error(request, errors or _("Please check the form."))
    return redirect("retention:detail", pk=pk)


def _client(request: HttpRequest) -> dict:
    return {
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500],
    }


def _effective_range(cancellation, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The effective dates staff may choose: (earliest, latest), both None when the
    contract can no longer be cancelled this way. A non-renewal has exactly one."""
    terms = selectors.contract_terms(cancellation.contract)
    earliest = policy.earliest_effective_date(
        kind=cancellation.kind, today=today, notice_days=terms.notice_days, term_end=terms.end_date
    )
    if earliest is None:
        return None, None
    return earliest, (earliest if cancellation.kind == Kind.NON_RENEWAL else terms.end_date)


@staff_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks before it acts: the request page's date goes to a page that shows what
    confirming with it means (date, fee, refund, a renewal in progress); only its
    "Yes, confirm" button (POST with ``confirmed=yes``) confirms. Works without JS."""
    cancellation = _get_request(request, pk)
    if cancellation.status not in AWAITING_STAFF and request.method == "GET":
        return redirect("retention:detail", pk=pk)
    today = timezone.localdate()
    earliest, latest = _effective_range(cancellation, today)
    data = request.POST if request.method == "POST" else request.GET
    form = ConfirmForm(data, earliest=earliest, latest=latest)
    if not form.is_valid():
        return _invalid(request, pk, form)
    day = form.cleaned_data["effective_date"]
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        return _done(
            request,
            pk,
            lambda: services.cancellation_confirm(
                request=cancellation, by=request.user, effective_date=day, **_client(request)
            ),
            _("Cancellation confirmed; the customer receives the confirmation by email and PDF."),
        )
    contract = cancellation.contract
    paid, paid_known = selectors.contract_paid_amount(contract)
    try:
        settlement = policy.settlement_compute(
            kind=cancellation.kind,
            terms=selectors.contract_terms(contract),
            today=today,
            paid=paid,
            effective_date=day,
        )
    except ValueError:
        settlement = None
    if settlement is None:
        messages.error(request, _("This contract can no longer be cancelled this way."))
        return redirect("retention:detail", pk=pk)
    return render(
        request,
        "retention/confirm.html",
        {
            "cancellation": cancellation,
            "contract": contract,
            "customer": cancellation.customer,
            "s": settlement,
            "paid_known": paid_known,
            "form": form,
            "renewal": selectors.renewal_in_progress(contract),
            "offer_waiting": cancellation.offer_id is not None
            and cancellation.offer_response == OfferResponse.NONE,
        },
    )


@staff_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    cancellation = _get_request(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, form)
    return _done(
        request,
        pk,
        lambda: services.cancellation_reject(
            request=cancellation, by=request.user, note=form.cleaned_data["note"]
        ),
        _("Request rejected."),
    )


@staff_required
@require_POST
def offer_make(request: HttpRequest, pk: int) -> HttpResponse:
    cancellation = _get_request(request, pk)
    form = OfferMakeForm(request.POST, offers=selectors.offers_valid(today=timezone.localdate()))
    if not form.is_valid():
        return _invalid(request, pk, form)
    return _done(
        request,
        pk,
        lambda: services.cancellation_offer_make(
            request=cancellation, offer=form.cleaned_data["offer"], by=request.user
        ),
        _("Offer sent to the customer."),
    )


@staff_required
@require_POST
def offer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer accepted the offer by phone or in person: record it for them."""
    cancellation = _get_request(request, pk)
    return _done(
        request,
        pk,
        lambda: services.cancellation_offer_accept(request=cancellation, by=request.user),
        _("Offer accepted; the contract was changed and the request withdrawn."),
    )


@staff_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    cancellation = _get_request(request, pk)
    form = ContactLogForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, form)
    return _done(
        request,
        pk,
        lambda: services.contact_log_add(
            request=cancellation,
            by=request.user,
            channel=form.cleaned_data["channel"],
            summary=form.cleaned_data["summary"],
        ),
        _("Contact logged."),
    )


@staff_required
def offers(request: HttpRequest) -> HttpResponse:
    stats = selectors.offer_stats()
    return render(request, "retention/offers.html", {"stats": stats})


@staff_required
def winback(request: HttpRequest) -> HttpResponse:
    qs = selectors.winback_list(request.user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "retention/winback.html", {"page_obj": page, "reasons": _reasons()})


def _reasons() -> dict[str, str]:
    from .models import Reason

    return {value: str(label) for value, label in Reason.choices}


@staff_required
@require_POST
def winback_offer(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(contracts_visible_to(request.user), pk=pk)
    try:
        # Through lifecycle: it leaves out the lines a loyalty member was given free.
        new = contract_winback_offer(contract=contract, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("retention:winback")
    messages.success(
        request,
        _("Draft contract %(number)s prepared; send it for signature from its page.")
        % {"number": new.number},
    )
    try:
        return redirect(reverse("contracts:detail", kwargs={"pk": new.pk}))
    except NoReverseMatch:  # pragma: no cover - contracts UI is part of the project
        return redirect("retention:winback")

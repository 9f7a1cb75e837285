"""Staff billing pages and the generic payment webhook (handled by payments).

Staff views are thin: a form validates, one service call, redirect. Refusals from the
services become messages, never a 500.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.auth import staff_required
from core.document_files import document_response
from core.errors import DomainError
from core.form_errors import focus_first_error
from payments.providers.generic_webhook import GenericWebhookProvider
from payments.services.notifications import EventResult, notification_process

from . import services
from .documents import invoice_document, invoice_pdf_bytes, receipt_document, receipt_pdf_bytes
from .forms import CreditNoteForm, InvoiceFilterForm, PaymentForm, RefundForm
from .models import CreditNote, Invoice, Payment
from .selectors import (
    credit_notes_visible_to,
    invoice_list,
    invoices_visible_to,
    payments_for_invoice,
)


def _invoice(request: HttpRequest, pk: int) -> Invoice:
    try:
        return invoices_visible_to(request.user).select_related("customer", "contract").get(pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(fallback)


@staff_required
def invoice_list_view(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None)
    status, q = "", ""
    if form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"]
    page = Paginator(invoice_list(user=request.user, status=status, q=q), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "billing/invoice_list.html",
        {"form": form, "page": page, "today": timezone.localdate()},
    )


def _invoice_page(
    request: HttpRequest,
    invoice: Invoice,
    *,
    payment_form: PaymentForm | None = None,
    credit_form: CreditNoteForm | None = None,
) -> HttpResponse:
    """The invoice page; after a refused payment or credit note, with that form bound: its
    errors beside their fields, the values entered kept, the page scrolled to it."""
    for form in (payment_form, credit_form):
        if form is not None:
            focus_first_error(form)
    nxt = request.POST.get("next", "")
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "payments": payments_for_invoice(invoice=invoice),
            "credit_notes": invoice.credit_notes.all(),
            "payment_form": payment_form
            or PaymentForm(initial={"amount": invoice.balance}, auto_id="id_pay_%s"),
            "credit_form": credit_form or CreditNoteForm(auto_id="id_credit_%s"),
            "today": timezone.localdate(),
            # Where a payment recorded from another page (the renewal case) returns to.
            "next": nxt
            if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
            else "",
        },
    )


@staff_required
def invoice_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _invoice_page(request, _invoice(request, pk))


@staff_required
@require_POST
def invoice_pay_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice(request, pk)
    form = PaymentForm(request.POST, auto_id="id_pay_%s")
    if not form.is_valid():
        messages.error(request, _("The payment was not recorded: correct the marked fields."))
        return _invoice_page(request, invoice, payment_form=form)
    data = form.cleaned_data
    received_at = timezone.make_aware(dt.datetime.combine(data["received_on"], dt.time(12)))
    try:
        payment = services.payment_record(
            invoice=invoice,
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            by=request.user,
            received_at=received_at,
            note=data["note"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        form.add_error("reference" if exc.code == "duplicate_payment" else None, exc.message)
        return _invoice_page(request, invoice, payment_form=form)
    messages.success(request, _("Payment %(number)s recorded.") % {"number": payment.number})
    return _back(request, reverse("billing:invoice", kwargs={"pk": invoice.pk}))


@staff_required
@require_POST
def invoice_credit_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice(request, pk)
    form = CreditNoteForm(request.POST, auto_id="id_credit_%s")
    if not form.is_valid():
        messages.error(request, _("The credit note was not issued: correct the marked fields."))
        return _invoice_page(request, invoice, credit_form=form)
    try:
        note = services.credit_note_issue(
            customer=invoice.customer,
            invoice=invoice,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        form.add_error(None, exc.message)
        return _invoice_page(request, invoice, credit_form=form)
    messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
    return redirect("billing:invoice", pk=invoice.pk)


def _credit_notes_page(
    request: HttpRequest, *, refused: CreditNote | None = None, form: RefundForm | None = None
) -> HttpResponse:
    """The credit notes; after a refused refund, that note's form bound (errors beside its
    fields, the values entered kept)."""
    notes = list(
        credit_notes_visible_to(request.user)
        .select_related("customer", "invoice", "contract")
        .prefetch_related("refunds")[:200]
    )
    if refused is not None and refused not in notes:
        notes.insert(0, refused)
    return render(
        request,
        "billing/credit_note_list.html",
        {
            "notes": notes,
            "refund_form": focus_first_error(form) if form is not None else RefundForm(),
            "refused_pk": refused.pk if refused is not None else None,
        },
    )


@staff_required
def credit_note_list_view(request: HttpRequest) -> HttpResponse:
    return _credit_notes_page(request)


@staff_required
@require_POST
def credit_note_refund_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        note = credit_notes_visible_to(request.user).get(pk=pk)
    except CreditNote.DoesNotExist:
        raise Http404 from None
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The refund was not recorded: correct the marked fields."))
        return _credit_notes_page(request, refused=note, form=form)
    try:
        refund = services.refund_record(
            credit_note=note,
            amount=form.cleaned_data["amount"],
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        form.add_error(None, exc.message)
        return _credit_notes_page(request, refused=note, form=form)
    messages.success(request, _("Refund %(number)s recorded.") % {"number": refund.number})
    return redirect("billing:credit-notes")


# A stored PDF whose file is gone is served again only as an exact copy (same SHA-256):
# invoices and receipts are issued documents; otherwise a page says so, whose button asks
# staff to restore it (core.document_files).
STAFF_UNAVAILABLE = "staff/document_unavailable.html"


@staff_required
def invoice_pdf_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    invoice = _invoice(request, pk)
    return document_response(
        request,
        document=invoice_document(invoice=invoice, by=request.user),
        filename=f"{invoice.number}.pdf",
        rerender=lambda: invoice_pdf_bytes(invoice=invoice),
        unavailable_template=STAFF_UNAVAILABLE,
    )


@staff_required
def receipt_pdf_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        payment = Payment.objects.select_related("customer", "invoice").get(
            pk=pk, invoice__in=invoices_visible_to(request.user)
        )
    except Payment.DoesNotExist:
        raise Http404 from None
    return document_response(
        request,
        document=receipt_document(payment=payment, by=request.user),
        filename=f"{payment.number}.pdf",
        rerender=lambda: receipt_pdf_bytes(payment=payment),
        unavailable_template=STAFF_UNAVAILABLE,
    )


def _webhook_answer(result: EventResult) -> dict[str, str]:
    """What docs/payment-webhook.md promises for an accepted delivery."""
    if result.status == "duplicate" or result.result.startswith("duplicate"):
        return {"status": "duplicate", "detail": ""}
    if result.result.startswith("recorded "):
        # "recorded RC-…" (maybe "; under-payment"): the detail is the receipt number.
        number = result.result.removeprefix("recorded ").split(";")[0]
        return {"status": "recorded", "detail": number}
    return {"status": "ignored", "detail": result.result}


@csrf_exempt  # verified first: the HMAC signature authenticates it instead of a session
@require_POST
def payment_webhook_view(request: HttpRequest) -> HttpResponse:
    """``POST /webhooks/payments/``: the generic payment webhook, one adapter of the
    payments notification pipeline (docs/payment-webhook.md)."""
    # The raw bytes: the signature covers exactly these.
    outcome = notification_process(
        "generic", request.body, request.headers, provider=GenericWebhookProvider()
    )
    if not outcome.accepted:
        return JsonResponse({"status": "rejected", "detail": outcome.rejected_because}, status=400)
    return JsonResponse(_webhook_answer(outcome.results[0]))

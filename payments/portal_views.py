"""The portal's "Pay now": choose a method, pay, watch the payment arrive
(docs/payments.md, "What the customer sees").

Every object is fetched through the portal's access rule (the logged-in customer's only:
404 for anyone else's). GET never changes anything; the one write is the POST that starts
an attempt. The page the provider sends the customer back to only shows the attempt: a
payment is recorded from a verified notification or our own query to the provider, never
from the browser's return.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from billing.documents import bank_details
from billing.models import Invoice, InvoiceStatus
from core.errors import DomainError
from payments.models import AttemptStatus, PaymentAttempt
from payments.providers import providers_configured
from payments.services.attempt_queries import QUERY_AFTER, attempt_refresh
from payments.services.attempts import attempt_start
from portal.access import portal_customer, portal_login_required, scoped_get_or_404

# How often the status page asks our server (the server asks the provider less often).
POLL_SECONDS = 3


def public_url(request: HttpRequest, path: str) -> str:
    """An absolute URL the provider can reach: PAYMENTS_PUBLIC_URL when set (behind a
    proxy, or a public origin other than the one the customer used), else this request's."""
    base = getattr(settings, "PAYMENTS_PUBLIC_URL", "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _invoice(request: HttpRequest, pk: int) -> Invoice:
    return scoped_get_or_404(
        Invoice.objects.exclude(status=InvoiceStatus.VOID).select_related("contract"),
        customer=portal_customer(request),
        pk=pk,
    )


def _attempt(request: HttpRequest, pk: int) -> PaymentAttempt:
    return scoped_get_or_404(
        PaymentAttempt.objects.select_related("invoice", "invoice__contract", "payment"),
        customer=portal_customer(request),
        pk=pk,
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def invoice_pay_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the methods offered for this invoice. POST: start paying with one of them."""
    invoice = _invoice(request, pk)
    offered = {p.code: p for p in providers_configured()}
    if request.method == "POST" and invoice.status == InvoiceStatus.OPEN:
        code = request.POST.get("provider", "")
        if code in offered:
            return _start(request, invoice, code)
        messages.error(request, _("This payment method is not available."))
    return render(
        request,
        "payments/portal/pay.html",
        {
            "invoice": invoice,
            "bank": bank_details(),
            "portal_section": "home",
        },
    )


def _start(request: HttpRequest, invoice: Invoice, code: str) -> HttpResponse:
    return_path = reverse("portal:invoice-pay-return", args=[invoice.pk, code])
    notify_path = reverse("payments-notify", args=[code])
    try:
        attempt = attempt_start(
            invoice=invoice,
            provider_code=code,
            by=request.user,
            return_url=public_url(request, return_path),
            notify_url=public_url(request, notify_path),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:invoice-pay", pk=invoice.pk)
    # Card and Alipay: the attempt page links to the provider's page. Not a redirect from
    # this POST: the CSP's form-action 'self' covers the redirects after a form submission
    # too, and browsers (Chromium) block one to the provider's origin.
    return redirect("portal:payment", pk=attempt.pk)


@portal_login_required
@require_GET
def invoice_pay_return_view(request: HttpRequest, pk: int, provider: str) -> HttpResponse:
    """Where the provider sends the customer back: the latest attempt's status page.
    Records nothing (the browser's return is not a fact)."""
    invoice = _invoice(request, pk)
    attempt = (
        PaymentAttempt.objects.filter(
            invoice=invoice, customer=portal_customer(request), provider=provider
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if attempt is None:
        return redirect("portal:invoice-pay", pk=invoice.pk)
    return redirect("portal:payment", pk=attempt.pk)


def _context(request: HttpRequest, attempt: PaymentAttempt) -> dict:
    invoice = attempt.invoice
    invoice.refresh_from_db()
    # An open order past its expiry is shown as expired at once; the sweep (or the next
    # query) writes it so. A GET only reads.
    status = attempt.status
    if attempt.is_open and attempt.expires_at and attempt.expires_at <= timezone.now():
        status = AttemptStatus.EXPIRED
    open_now = attempt.is_open and status != AttemptStatus.EXPIRED
    return {
        "attempt": attempt,
        "shown_status": status,
        "invoice": invoice,
        "contract": invoice.contract,
        "poll": open_now,
        "poll_seconds": POLL_SECONDS,
        "qr_svg": _qr_svg(attempt.qr_code) if open_now and attempt.qr_code else "",
        "retry": status in (AttemptStatus.FAILED, AttemptStatus.EXPIRED, AttemptStatus.CANCELLED)
        and invoice.status == InvoiceStatus.OPEN,
        "portal_section": "home",
    }


def _qr_svg(content: str) -> str:
    """The QR code as inline SVG: no script, no style attribute (the CSP allows neither),
    drawn on our server so the order's URL goes to no third party."""
    svg = segno.make(content, error="m").svg_inline(scale=5, title=None)
    return mark_safe(svg)  # noqa: S308 - segno's own markup from our data, no user HTML


def _refreshed(attempt: PaymentAttempt) -> PaymentAttempt:
    """Waiting long for a notification: ask the provider (throttled in the service)."""
    if attempt.is_open and timezone.now() - attempt.created_at >= QUERY_AFTER:
        return attempt_refresh(attempt)
    return attempt


@portal_login_required
@require_GET
def attempt_view(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "payments/portal/attempt.html", _context(request, _attempt(request, pk)))


@portal_login_required
@require_http_methods(["GET", "POST"])
def attempt_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The part of the attempt page that htmx polls while the payment is on its way.

    The poll is a POST (with the CSRF token): after a while without a notification it asks
    the provider, and a verified answer may record the payment; a GET only reads."""
    attempt = _attempt(request, pk)
    if request.method == "POST":
        attempt = _refreshed(attempt)
    return render(request, "payments/portal/_attempt_status.html", _context(request, attempt))

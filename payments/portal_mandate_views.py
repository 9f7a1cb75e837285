"""The portal's "Automatic payment" of a contract's renewals: choose a recurring provider
(save a card with Stripe, sign an Alipay agreement), read and accept the disclosure, go to
the provider; the return page only shows the status while it is confirmed; withdraw it on
one screen (docs/payments.md).

Every object is fetched through the portal's access rule (404 for another customer's).
GET changes nothing of the customer's choices (the status page may ask the provider
about a pending mandate and apply its verified answer, as the payment page does); the
consent is recorded on POST, with the customer's own IP and user agent and the exact
text shown.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from contracts.models import Contract
from core.errors import DomainError
from payments.models import MandateStatus, PaymentMandate
from payments.portal_views import public_url
from payments.services.mandates import (
    disclosure_digest,
    mandate_disclosure,
    mandate_reference_new,
    mandate_refresh,
    mandate_revoke,
    mandate_start,
    recurring_providers,
    revoke_text,
)
from portal.access import (
    contract_get_for_customer,
    portal_customer,
    portal_login_required,
    scoped_get_or_404,
)

POLL_SECONDS = 3
PROVIDER_LABELS = {
    "card": gettext_lazy("Save a card (Stripe)"),
    "alipay": gettext_lazy("Sign an Alipay recurring-deduction agreement"),
}


def _ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: forwarded headers can be forged by the client.
    return request.META.get("REMOTE_ADDR") or None


def _mandate(request: HttpRequest, reference: str) -> PaymentMandate:
    return scoped_get_or_404(
        PaymentMandate.objects.select_related("contract"),
        customer=portal_customer(request),
        pk=PaymentMandate.objects.filter(reference=reference).values_list("pk", flat=True).first(),
    )


def _choices(contract: Contract) -> list[dict[str, str]]:
    return [
        {
            "code": p.code,
            "label": str(PROVIDER_LABELS.get(p.code, p.code)),
            "text": (text := mandate_disclosure(contract=contract, provider_code=p.code)),
            "digest": disclosure_digest(text),
        }
        for p in recurring_providers()
    ]


@portal_login_required
@require_http_methods(["GET", "POST"])
def mandate_setup_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    choices = _choices(contract)
    if request.method == "POST":
        code = request.POST.get("provider", "")
        chosen = next((c for c in choices if c["code"] == code), None)
        if chosen is None:
            messages.error(request, _("Choose one of the payment methods shown."))
        elif request.POST.get("digest") != chosen["digest"]:
            messages.error(
                request, _("The terms changed while the page was open: please read them again.")
            )
        elif request.POST.get("accept") != "on":
            messages.error(request, _("Tick the box to accept the authorisation."))
        else:
            reference = mandate_reference_new()
            try:
                mandate, go_to = mandate_start(
                    reference=reference,
                    contract=contract,
                    provider_code=code,
                    by=request.user,
                    text=chosen["text"],
                    return_url=mandate_return_url(request, reference),
                    customer_email=getattr(request.user, "email", "") or "",
                    language=get_language() or "zh-hans",
                    ip_address=_ip(request),
                    user_agent=request.headers.get("User-Agent", "")[:500],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                if go_to.startswith("https://") or go_to.startswith("http://"):
                    return HttpResponseRedirect(go_to)
                return redirect("portal:mandate-status", reference=mandate.reference)
    active = PaymentMandate.objects.filter(
        contract=contract, status__in=[MandateStatus.ACTIVE, MandateStatus.PENDING]
    ).first()
    return render(
        request,
        "payments/mandate/setup.html",
        {"contract": contract, "choices": choices, "current": active},
    )


def _status_context(mandate: PaymentMandate) -> dict:
    return {
        "mandate": mandate,
        "contract": mandate.contract,
        "poll": mandate.status == MandateStatus.PENDING,
        "poll_seconds": POLL_SECONDS,
    }


@portal_login_required
@require_GET
def mandate_status_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Where the provider sends the customer back: the status only (a verified event or
    our query to the provider makes it active, never this page being opened)."""
    mandate = mandate_refresh(_mandate(request, reference))
    template = (
        "payments/mandate/_status.html"
        if request.headers.get("HX-Request")
        else "payments/mandate/status.html"
    )
    return render(request, template, _status_context(mandate))


@portal_login_required
@require_http_methods(["GET", "POST"])
def mandate_revoke_view(request: HttpRequest, reference: str) -> HttpResponse:
    mandate = _mandate(request, reference)
    if request.method == "POST" and mandate.status in (MandateStatus.ACTIVE, MandateStatus.PENDING):
        mandate_revoke(
            mandate=mandate,
            by=request.user,
            ip_address=_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:500],
        )
        messages.success(
            request, _("Automatic payment is stopped. Renewal invoices can be paid with “Pay now”.")
        )
        if mandate.contract_id:
            return redirect("portal:contract-detail", pk=mandate.contract_id)
        return redirect("portal:home")
    return render(
        request,
        "payments/mandate/revoke.html",
        {"mandate": mandate, "contract": mandate.contract, "text": revoke_text(mandate=mandate)},
    )


def mandate_return_url(request: HttpRequest, reference: str) -> str:
    return public_url(request, reverse("portal:mandate-status", kwargs={"reference": reference}))

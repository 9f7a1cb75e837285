"""The portal's "Automatic payment" of a contract's renewals: choose a recurring provider
(save a card with Stripe, sign an Alipay agreement), read and accept the disclosure, go to
the provider; the return page only shows the status while it is confirmed; withdraw it on
one screen (docs/payments.md).

Every object is fetched through the portal's access rule (404 for another customer's).
GET changes nothing of the customer's choices (the status page may ask the provider
about a pending mandate and apply its verified answer, as the payment page does); the
consent is recorded on POST, with the customer's own IP and user agent and the exact
text shown.

A customer whose contract does not renew automatically switches automatic renewal on in
the same POST: a second text to accept (its own consent in the ledger, kind auto_renew,
through ``contract_set_auto_renew``), then the payment method's. Switching it off again
takes one screen (``auto_renew_off_view``), and stops the automatic payment with it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from contracts.auto_renew_consent import contract_set_auto_renew
from contracts.models import ConsentChannel, Contract, ContractStatus
from core.errors import DomainError
from core.money import money_text
from lifecycle.auto_renew_choice import auto_renew_off_text
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
AUTO_RENEW_TEXT_VERSION = "portal-mandate-1"
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


def auto_renew_on_text(contract: Contract) -> str:
    """What a customer accepts to switch automatic renewal on from this page (in the active
    language), recorded word for word."""
    return _(
        "I switch on the automatic renewal of contract %(number)s: when its term ends "
        "(currently on %(end)s) it renews for another term at the price then current "
        "(currently %(amount)s %(currency)s per term, %(period)s), and so on at the end of "
        "each term, until I switch it off. I am reminded before each renewal, and I can "
        "switch automatic renewal off at any time, on one screen, from this contract's "
        '"Automatic payment" page in the portal.'
    ) % {
        "number": contract.number,
        "end": contract.end_date.isoformat(),
        "amount": money_text(contract.total_amount),
        "currency": contract.currency,
        "period": contract.get_billing_period_display(),
    }


def _can_switch(contract: Contract) -> bool:
    return contract.status in (ContractStatus.ACTIVE, ContractStatus.SCHEDULED)


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
    # Offered with the payment method when the contract does not renew automatically yet.
    renew_text = "" if contract.auto_renew else auto_renew_on_text(contract)
    if request.method == "POST":
        code = request.POST.get("provider", "")
        chosen = next((c for c in choices if c["code"] == code), None)
        if chosen is None:
            messages.error(request, _("Choose one of the payment methods shown."))
        elif request.POST.get("digest") != chosen["digest"] or (
            renew_text and request.POST.get("renew_digest") != disclosure_digest(renew_text)
        ):
            messages.error(
                request, _("The terms changed while the page was open: please read them again.")
            )
        elif renew_text and request.POST.get("accept_auto_renew") != "on":
            messages.error(
                request, _("Tick the box to switch automatic renewal on: it comes first.")
            )
        elif request.POST.get("accept") != "on":
            messages.error(request, _("Tick the box to accept the authorisation."))
        else:
            reference = mandate_reference_new()
            try:
                if renew_text:
                    if not _can_switch(contract):
                        raise DomainError(
                            _("Automatic payment can only be set up on a running contract.")
                        )
                    contract_set_auto_renew(
                        contract=contract,
                        enabled=True,
                        by=request.user,
                        channel=ConsentChannel.PORTAL,
                        text=renew_text,
                        text_version=AUTO_RENEW_TEXT_VERSION,
                        ip_address=_ip(request),
                        user_agent=request.headers.get("User-Agent", "")[:500],
                    )
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
                if renew_text and contract.auto_renew:
                    # Switched on (its own consent); the payment method was not started.
                    messages.info(request, _("Automatic renewal is on; you can switch it off."))
                    return redirect("portal:mandate-setup", pk=contract.pk)
            else:
                if go_to.startswith("https://") or go_to.startswith("http://"):
                    # A link, not a redirect from this POST: the CSP's form-action 'self'
                    # covers a form's redirects, and browsers block one to the provider.
                    return render(
                        request,
                        "payments/mandate/continue.html",
                        {"contract": contract, "go_to": go_to, "label": chosen["label"]},
                    )
                return redirect("portal:mandate-status", reference=mandate.reference)
    active = PaymentMandate.objects.filter(
        contract=contract, status__in=[MandateStatus.ACTIVE, MandateStatus.PENDING]
    ).first()
    return render(
        request,
        "payments/mandate/setup.html",
        {
            "contract": contract,
            "choices": choices,
            "current": active,
            "can_switch": _can_switch(contract),
            "renew_text": renew_text,
            "renew_digest": disclosure_digest(renew_text) if renew_text else "",
        },
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def auto_renew_off_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch automatic renewal off on one screen: the text and one button. The contract's
    saved payment methods stop with it (each withdrawal recorded too)."""
    contract = contract_get_for_customer(customer=portal_customer(request), pk=pk)
    text = auto_renew_off_text(contract)
    if request.method == "POST" and contract.auto_renew:
        ip, agent = _ip(request), request.headers.get("User-Agent", "")[:500]
        try:
            contract_set_auto_renew(
                contract=contract,
                enabled=False,
                by=request.user,
                channel=ConsentChannel.PORTAL,
                text=text,
                text_version=AUTO_RENEW_TEXT_VERSION,
                ip_address=ip,
                user_agent=agent,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            for mandate in PaymentMandate.objects.filter(
                contract=contract, status__in=[MandateStatus.ACTIVE, MandateStatus.PENDING]
            ):
                mandate_revoke(mandate=mandate, by=request.user, ip_address=ip, user_agent=agent)
            messages.success(request, _("Automatic renewal is now off."))
        return redirect("portal:contract-detail", pk=contract.pk)
    return render(
        request, "payments/mandate/auto_renew_off.html", {"contract": contract, "text": text}
    )


def _status_context(mandate: PaymentMandate) -> dict:
    return {
        "mandate": mandate,
        "contract": mandate.contract,
        "poll": mandate.status == MandateStatus.PENDING,
        "poll_seconds": POLL_SECONDS,
    }


@portal_login_required
@require_http_methods(["GET", "POST"])
def mandate_status_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Where the provider sends the customer back: the status only (a verified event or
    our query to the provider makes it active, never this page being opened). A GET only
    reads; the page's htmx poll is a POST with the CSRF token, which may ask the provider."""
    mandate = _mandate(request, reference)
    if request.method == "POST":
        mandate = mandate_refresh(mandate)
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

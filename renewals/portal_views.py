"""The customer's side of the renewal, in the portal (included under /portal/, namespace
"portal"): answer the renewal question, review the quote and its differences, sign
online, see the invoice and how to pay it.

Every object is fetched through portal.access (scoped to the logged-in customer, 404
otherwise). Links from reminder emails open a confirmation page: GET changes nothing,
the answer is recorded on POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from billing.documents import (
    bank_details,
    invoice_document,
    invoice_pdf_bytes,
    receipt_document,
    receipt_pdf_bytes,
)
from billing.models import Invoice, Payment
from contracts.models import ConsentChannel, Contract, ContractStatus
from contracts.services import contract_set_auto_renew
from core.document_files import document_response
from core.errors import DomainError
from core.tokens import TokenInvalid, token_read
from portal.access import (
    contract_get_for_customer,
    portal_customer,
    portal_customer_or_none,
    portal_login_required,
    scoped_get_or_404,
)

from . import services
from .forms import PortalIntentForm, SignForm
from .models import Intent, IntentChannel, Quote
from .portal_progress import renewal_progress_for_customer
from .selectors import quote_diff

AUTO_RENEW_OFF_TEXT = gettext_noop(
    "I switch automatic renewal off. The contract will end at its end date."
)
AUTO_RENEW_TEXT_VERSION = "portal-link-1"


def _ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: forwarded headers can be forged by the client.
    return request.META.get("REMOTE_ADDR") or None


def _ua(request: HttpRequest) -> str:
    return request.headers.get("User-Agent", "")[:500]


def _cancel_url(contract: Contract) -> str | None:
    try:
        return reverse("portal:cancellation-start", kwargs={"pk": contract.pk})
    except NoReverseMatch:
        return None


def _record_intent(
    request: HttpRequest, contract: Contract, form: PortalIntentForm, channel: str
) -> tuple[bool, HttpResponse | None]:
    """Record a valid answer. Returns whether it was recorded, and a redirect for "will not
    renew" (the cancellation flow). Refusals become messages."""
    intent = form.cleaned_data["intent"]
    if contract.status != ContractStatus.ACTIVE:
        messages.error(request, _("This contract can no longer be renewed online."))
        return False, None
    case, _created = services.case_open(contract=contract)
    try:
        services.case_record_intent(
            case=case,
            intent=intent,
            note=form.cleaned_data["note"],
            channel=channel,
            by=request.user,
            ip_address=_ip(request),
            user_agent=_ua(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return False, None
    if intent == Intent.WILL_NOT_RENEW:
        messages.info(
            request,
            _("Thank you for telling us. Automatic renewal is off; tell us why below."),
        )
        cancel = _cancel_url(contract)
        return True, (redirect(cancel) if cancel else None)
    # Say what is true now: the offer to sign if there is one, else what we prepare and
    # by when (never "review the quote below" when there is none).
    progress = renewal_progress_for_customer(contract=contract)
    if progress is not None and progress.can_sign:
        messages.success(request, _("Thank you! Review your renewal offer below and sign it."))
    elif progress is not None:
        messages.success(request, _("Thank you! %(next_step)s") % {"next_step": progress.next_step})
    return True, None


def _signable_quote(contract: Contract) -> Quote | None:
    progress = renewal_progress_for_customer(contract=contract)
    return progress.quote if progress is not None and progress.can_sign else None


@portal_login_required
def renewal_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    progress = renewal_progress_for_customer(contract=contract)
    case = progress.case if progress else None
    quote = progress.quote if progress else None
    return render(
        request,
        "renewals/portal/renewal.html",
        {
            "contract": contract,
            "progress": progress,
            "case": case,
            "quote": quote,
            "diff": quote_diff(quote=quote) if quote else None,
            "signature": progress.signature if progress else None,
            "invoices": progress.invoices if progress else [],
            "can_answer": (
                progress.can_answer if progress else contract.status == ContractStatus.ACTIVE
            ),
            "can_sign": bool(progress and progress.can_sign),
            "intent_form": PortalIntentForm(initial={"intent": case.intent if case else ""}),
            "sign_form": SignForm(
                initial={"document_sha256": quote.contract_document.sha256}
                if quote and quote.contract_document
                else None
            ),
            "portal_section": "home",
        },
    )


@portal_login_required
@require_POST
def renewal_intent_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    form = PortalIntentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the answers."))
        return redirect("portal:renewal", pk=contract.pk)
    _recorded, response = _record_intent(request, contract, form, IntentChannel.PORTAL)
    return response or redirect("portal:renewal", pk=contract.pk)


@portal_login_required
@require_POST
def renewal_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    quote = _signable_quote(contract)
    if quote is None:
        messages.error(request, _("There is no renewal offer to sign at the moment."))
        return redirect("portal:renewal", pk=contract.pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        if "accept" in form.errors:
            messages.error(request, _("Tick the box to accept the contract."))
        else:
            messages.error(request, _("Type your full name to sign."))
        return redirect("portal:renewal", pk=contract.pk)
    try:
        services.quote_sign_online(
            quote=quote,
            full_name=form.cleaned_data["full_name"],
            accepted=form.cleaned_data["accept"],
            document_sha256=form.cleaned_data["document_sha256"],
            user=request.user,
            ip_address=_ip(request),
            user_agent=_ua(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Signed. Thank you! Your invoice is below; pay it to start the new term.")
        )
    return redirect("portal:renewal", pk=contract.pk)


# --- invoices ------------------------------------------------------------------------------


@portal_login_required
def invoice_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    invoice = scoped_get_or_404(
        Invoice.objects.exclude(status="void").select_related("contract"), customer=customer, pk=pk
    )
    return render(
        request,
        "renewals/portal/invoice.html",
        {
            "invoice": invoice,
            "payments": invoice.payments.filter(kind="payment").order_by("received_at"),
            "bank": bank_details(),
            "portal_section": "home",
        },
    )


# A stored PDF whose file is gone is served again only as an exact copy (same SHA-256):
# invoices and receipts are issued documents; otherwise a page says so, whose button asks
# staff to restore it (core.document_files).
PORTAL_UNAVAILABLE = "portal/document_unavailable.html"


@portal_login_required
def invoice_pdf_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    customer = portal_customer(request)
    invoice = scoped_get_or_404(Invoice.objects.all(), customer=customer, pk=pk)
    return document_response(
        request,
        document=invoice_document(invoice=invoice),
        filename=f"{invoice.number}.pdf",
        rerender=lambda: invoice_pdf_bytes(invoice=invoice),
        unavailable_template=PORTAL_UNAVAILABLE,
        as_attachment=True,
        context={"portal_section": "home"},
    )


@portal_login_required
def receipt_pdf_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    customer = portal_customer(request)
    payment = scoped_get_or_404(Payment.objects.filter(kind="payment"), customer=customer, pk=pk)
    return document_response(
        request,
        document=receipt_document(payment=payment),
        filename=f"{payment.number}.pdf",
        rerender=lambda: receipt_pdf_bytes(payment=payment),
        unavailable_template=PORTAL_UNAVAILABLE,
        as_attachment=True,
        context={"portal_section": "home"},
    )


# --- links from reminder emails ---------------------------------------------------------------

LINK_PURPOSES = ("renew", "change", "cancel", "auto_renew_off")


def _link_contract(purpose: str, token: str) -> Contract:
    contract_id = token_read(token=token, purpose=purpose)
    try:
        return Contract.objects.select_related("customer").get(pk=contract_id)
    except (Contract.DoesNotExist, ValueError, TypeError) as exc:
        raise TokenInvalid() from exc


@require_http_methods(["GET", "POST"])
def action_link_view(request: HttpRequest, purpose: str, token: str) -> HttpResponse:
    """A link from a reminder: /portal/act/<purpose>/<token>/. Works without logging in
    (the signed token identifies the contract); GET shows what will happen, POST does it."""
    if purpose not in LINK_PURPOSES:
        raise Http404
    try:
        contract = _link_contract(purpose, token)
    except TokenInvalid as exc:
        return render(
            request,
            "portal/token_error.html",
            {"message": exc.message, "code": exc.code},
            status=410 if exc.code == "token_expired" else 400,
        )
    logged_in_as_customer = portal_customer_or_none(request) == contract.customer
    context: dict[str, Any] = {
        "contract": contract,
        "purpose": purpose,
        "logged_in": logged_in_as_customer,
        "cancel_url": _cancel_url(contract),
        "renewal_url": reverse("portal:renewal", kwargs={"pk": contract.pk}),
    }
    if purpose in ("renew", "change"):
        initial = Intent.RENEW_WITH_CHANGES if purpose == "change" else Intent.RENEW_AS_IS
        form = PortalIntentForm(request.POST or None, initial={"intent": initial})
        if request.method == "POST" and form.is_valid():
            recorded, response = _record_intent(request, contract, form, IntentChannel.EMAIL_LINK)
            if response is not None:
                return response
            if recorded and logged_in_as_customer:
                return redirect("portal:renewal", pk=contract.pk)
            if recorded:
                context["progress"] = renewal_progress_for_customer(contract=contract)
                return render(request, "renewals/portal/action_done.html", context)
            # Refused (the message says why): the question again, never "we recorded it".
        context["form"] = form
    elif purpose == "auto_renew_off" and request.method == "POST":
        try:
            contract_set_auto_renew(
                contract=contract,
                enabled=False,
                by=request.user,
                channel=ConsentChannel.PORTAL,
                text=_(AUTO_RENEW_OFF_TEXT),
                text_version=AUTO_RENEW_TEXT_VERSION,
                ip_address=_ip(request),
                user_agent=_ua(request),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Automatic renewal is now off."))
        return render(request, "renewals/portal/action_done.html", context)
    context["auto_renew_text"] = _(AUTO_RENEW_OFF_TEXT)
    return render(request, "renewals/portal/action_confirm.html", context)

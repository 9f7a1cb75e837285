"""Staff renewal pages: the pipeline board, the case page, the quote builder.

Thin views: a form validates, one service call, redirect (PRG). Every case is fetched
through ``cases_visible_to`` so a manager only reaches cases of their own book. Refusals
from services are shown as messages, never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.forms import PaymentForm
from billing.selectors import invoices_for_contract
from contracts.access import contracts_visible_to
from contracts.models import ContractEvent, Plan, TermsVersion
from contracts.selectors import event_kind_label
from core.auth import staff_required
from core.document_files import document_response
from core.errors import DomainError
from retention.selectors import open_request_for_contract

from . import services
from .documents import document_rerender
from .event_labels import STAFF_LABELS, timeline_merge
from .forms import (
    ContactForm,
    IntentForm,
    LoseForm,
    OfflineSignatureForm,
    QuoteLineFormSet,
    QuoteSettingsForm,
)
from .models import IntentChannel, Quote, RenewalCase
from .selectors import cases_visible_to, pipeline_board, quote_diff, term_months, terms_diff
from .templatetags.renewals_tags import action_text

TIMELINE_PREFIXES = (
    "renewal_",
    "quote_",
    "invoice_",
    "payment_",
    "credit_",
    "dunning",
    "signed",
    "auto_renew",
)


def _case(request: HttpRequest, pk: int) -> RenewalCase:
    try:
        return (
            cases_visible_to(request.user)
            .select_related(
                "contract", "contract__customer", "contract__terms_version", "owner", "successor"
            )
            .get(pk=pk)
        )
    except RenewalCase.DoesNotExist:
        raise Http404 from None


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> None:
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


@staff_required
def pipeline_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "renewals/pipeline.html",
        {"columns": pipeline_board(user=request.user, today=today), "today": today},
    )


@staff_required
def case_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, _case(request, pk))


def _case_page(
    request: HttpRequest,
    case: RenewalCase,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page; a refused form is passed in ``bound`` under its context name
    (intent_form, contact_form, lose_form, offline_form), to show its errors beside its
    fields with what was typed."""
    bound = bound or {}
    contract = case.contract
    quote = Quote.objects.filter(case=case).select_related("terms_version").first()
    signature = getattr(quote, "signature", None) if quote else None
    # Each invoice carries its payment form for the page, an attribute the model does not
    # declare. One page, several forms with the same field names (note, ...): each gets its
    # own ids, or a label would point at another form's field (one hidden in a closed
    # <details>).
    invoices: list[Any] = (
        list(invoices_for_contract(contract=case.successor)) if case.successor else []
    )
    for invoice in invoices:
        invoice.payment_form = PaymentForm(
            initial={"amount": invoice.balance}, auto_id=f"id_pay{invoice.pk}_%s"
        )
    # The renewal cannot be signed while a cancellation request is open: say so instead of
    # a signing form that would only be refused.
    open_cancellation = open_request_for_contract(contract)
    events = (
        ContractEvent.objects.filter(contract__in=[c for c in (contract, case.successor) if c])
        .select_related("actor", "contract")
        .order_by("-at", "-id")
    )
    # Each event carries its label for the page (not a model attribute).
    # One row per action: a quote's own "sent"/"signed" row goes beside the case's step.
    timeline: list[Any] = timeline_merge(
        e for e in events if e.kind.startswith(TIMELINE_PREFIXES) or e.to_status
    )[:80]
    for e in timeline:
        e.label = event_kind_label(e.kind, STAFF_LABELS)
    return render(
        request,
        "renewals/case_detail.html",
        {
            "case": case,
            "contract": contract,
            "quote": quote,
            "signature": signature,
            "diff": quote_diff(quote=quote) if quote else None,
            "invoices": invoices,
            "open_cancellation": open_cancellation,
            "timeline": timeline,
            "intent_form": bound.get("intent_form")
            or IntentForm(initial={"intent": case.intent}, auto_id="id_intent_%s"),
            "contact_form": bound.get("contact_form")
            or ContactForm(
                initial={
                    "next_action": action_text(case.next_action),
                    "next_action_date": case.next_action_date,
                },
                auto_id="id_contact_%s",
            ),
            "lose_form": bound.get("lose_form") or LoseForm(auto_id="id_lose_%s"),
            "offline_form": bound.get("offline_form")
            or OfflineSignatureForm(auto_id="id_offline_%s"),
            "days_to_end": contract.days_until_end(),
            "terms_versions": TermsVersion.objects.all(),
        },
        status=status,
    )


@staff_required
@require_POST
def case_open_view(request: HttpRequest, contract_pk: int) -> HttpResponse:
    try:
        contract = contracts_visible_to(request.user).get(pk=contract_pk)
    except Exception:  # noqa: BLE001 - DoesNotExist or a bad id: not yours
        raise Http404 from None
    case, created = services.case_open(contract=contract, by=request.user)
    if created:
        messages.success(request, _("Renewal case opened."))
    return redirect("renewals:case", pk=case.pk)


@staff_required
@require_POST
def case_intent_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = IntentForm(request.POST, auto_id="id_intent_%s")
    if not form.is_valid():
        return _case_page(request, case, bound={"intent_form": form}, status=400)
    _run(
        request,
        lambda: services.case_record_intent(
            case=case,
            intent=form.cleaned_data["intent"],
            note=form.cleaned_data["note"],
            channel=IntentChannel.STAFF,
            by=request.user,
        ),
        _("The customer's answer was recorded."),
    )
    return redirect("renewals:case", pk=case.pk)


@staff_required
@require_POST
def case_contact_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = ContactForm(request.POST, case=case, auto_id="id_contact_%s")
    if not form.is_valid():
        return _case_page(request, case, bound={"contact_form": form}, status=400)
    _run(
        request,
        lambda: services.case_log_contact(
            case=case,
            by=request.user,
            note=form.cleaned_data["note"],
            next_action=form.cleaned_data["next_action"],
            next_action_date=form.cleaned_data["next_action_date"],
        ),
        _("Contact noted.") if form.cleaned_data["note"] else _("Next action saved."),
    )
    return redirect("renewals:case", pk=case.pk)


@staff_required
@require_POST
def case_lose_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = LoseForm(request.POST, auto_id="id_lose_%s")
    if not form.is_valid():
        return _case_page(request, case, bound={"lose_form": form}, status=400)
    _run(
        request,
        lambda: services.case_lose(
            case=case,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            by=request.user,
        ),
        _("The renewal was closed as lost."),
    )
    return redirect("renewals:case", pk=case.pk)


@staff_required
@require_POST
def quote_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        services.quote_create(case=case, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("renewals:case", pk=case.pk)
    return redirect("renewals:quote-edit", pk=case.pk)


def _line_initial(quote: Quote) -> list[dict[str, Any]]:
    return [
        {
            "source_line_id": line.source_line_id,
            "plan": line.plan_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        for line in quote.lines.all()
    ]


def _specs_from(formset: Any, quote: Quote, months: int) -> list[services.QuoteLineSpec]:
    specs = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        plan: Plan | None = data.get("plan")
        price = data.get("unit_price")
        if price is None and plan is not None:
            price = services.price_per_term(plan=plan, start=quote.start_date, months=months)
        specs.append(
            services.QuoteLineSpec(
                description=data.get("description") or (plan.name if plan else ""),
                quantity=data["quantity"],
                unit_price=price if price is not None else Decimal("0"),
                plan=plan,
                source_line_id=data.get("source_line_id"),
            )
        )
    return specs


@staff_required
def quote_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    quote = Quote.objects.filter(case=case).first()
    if quote is None:
        return redirect("renewals:case", pk=case.pk)
    if not quote.is_editable:
        messages.error(request, _("A signed quote cannot be edited."))
        return redirect("renewals:case", pk=case.pk)
    initial_settings = {
        "term_months": term_months(quote.start_date, quote.end_date),
        "terms_version": quote.terms_version_id,
        "discount_percent": quote.discount_percent,
        "installments": quote.installments,
        "note": quote.note,
    }
    if request.method == "POST":
        settings_form = QuoteSettingsForm(request.POST)
        formset = QuoteLineFormSet(request.POST, prefix="lines")
        if settings_form.is_valid() and formset.is_valid():
            # Lines without a price are priced for the new term length, in one update.
            s = settings_form.cleaned_data
            try:
                services.quote_update(
                    quote=quote,
                    by=request.user,
                    term_months_count=s["term_months"],
                    lines=_specs_from(formset, quote, s["term_months"]),
                    terms_version=s["terms_version"],
                    discount_percent=s["discount_percent"],
                    installments=s["installments"],
                    note=s["note"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Quote saved. Review the differences, then send it."))
                return redirect("renewals:case", pk=case.pk)
        # Invalid: the page is shown again with each error beside its field (a line's
        # beside that line's field) and the errors of no one field on top.
    else:
        settings_form = QuoteSettingsForm(initial=initial_settings)
        formset = QuoteLineFormSet(initial=_line_initial(quote), prefix="lines")
    return render(
        request,
        "renewals/quote_edit.html",
        {
            "case": case,
            "quote": quote,
            "settings_form": settings_form,
            "formset": formset,
            "diff": quote_diff(quote=quote),
        },
    )


@staff_required
@require_POST
def quote_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    quote = Quote.objects.filter(case=case).first()
    if quote is None:
        raise Http404
    _run(
        request,
        lambda: services.quote_send(quote=quote, by=request.user),
        _("The quote was sent to the customer."),
    )
    return redirect("renewals:case", pk=case.pk)


@staff_required
@require_POST
def quote_sign_offline_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    quote = Quote.objects.filter(case=case).first()
    if quote is None:
        raise Http404
    form = OfflineSignatureForm(request.POST, request.FILES, auto_id="id_offline_%s")
    if not form.is_valid():
        return _case_page(request, case, bound={"offline_form": form}, status=400)
    scan = form.cleaned_data["scan"]
    signed_at = timezone.make_aware(
        dt.datetime.combine(form.cleaned_data["signed_on"], dt.time(12))
    )
    _run(
        request,
        lambda: services.quote_sign_offline(
            quote=quote,
            by=request.user,
            signer_name=form.cleaned_data["signer_name"],
            signed_at=min(signed_at, timezone.now()),
            scan=scan.read(),
            filename=scan.name,
        ),
        _("The signed contract was recorded."),
    )
    return redirect("renewals:case", pk=case.pk)


@staff_required
def quote_document_view(request: HttpRequest, pk: int, which: str) -> HttpResponseBase:
    case = _case(request, pk)
    quote = Quote.objects.filter(case=case).first()
    if quote is None:
        raise Http404
    doc = {
        "quote": quote.document,
        "contract": quote.contract_document,
        "signed": getattr(getattr(quote, "signature", None), "document", None),
    }.get(which)
    if doc is None:
        raise Http404
    return document_response(
        request,
        document=doc,
        filename=doc.file.name.rsplit("/", 1)[-1] or f"{quote.number}.pdf",
        rerender=document_rerender(doc),
        unavailable_template="staff/document_unavailable.html",
    )


@staff_required
def terms_diff_view(request: HttpRequest) -> HttpResponse:
    versions = list(TermsVersion.objects.all())
    by_pk = {str(v.pk): v for v in versions}
    old = by_pk.get(request.GET.get("a", ""))
    new = by_pk.get(request.GET.get("b", ""))
    return render(
        request,
        "renewals/terms_diff.html",
        {
            "versions": versions,
            "old": old,
            "new": new,
            "lines": terms_diff(old=old, new=new) if (old and new) else [],
        },
    )

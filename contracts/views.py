"""Staff contract pages. Thin: a form validates, one service call, redirect (PRG).

Every lookup goes through core.access (via the selectors), so a contract outside the
user's book is a 404. Refusals from the services (DomainError, InvalidTransition)
become messages on the page, never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.selectors import invoices_for_contract
from core.auth import staff_required
from core.errors import DomainError
from core.page_cache import cache_staff_page
from core.pagination import paginate
from customers.access import customers_visible_to
from lifecycle.auto_renewal_state import event_reason_text
from renewals.event_labels import STAFF_LABELS as RENEWAL_EVENT_LABELS
from renewals.event_labels import timeline_merge
from retention.event_labels import EVENT_LABELS as RETENTION_EVENT_LABELS

from . import services
from .contract_states import contract_workflow
from .forms import (
    STAFF_CONSENT_TEXT_OFF,
    STAFF_CONSENT_TEXT_ON,
    STAFF_CONSENT_TEXT_VERSION,
    AutoRenewForm,
    ContractDraftForm,
    ContractFilterForm,
    ReturnToDraftForm,
    SignatureForm,
    VoidForm,
    line_formset_class,
)
from .models import Contract, ContractStatus
from .selectors import (
    CONTRACT_DEFAULT_SORT,
    contract_get_for_staff,
    contract_list,
    contract_successor,
    event_kind_label,
    event_payload_display,
    status_label,
)

PAGE_SIZE = 25
S = ContractStatus


def _get_contract(request: HttpRequest, pk: int) -> Contract:
    try:
        return contract_get_for_staff(user=request.user, pk=pk)
    except Contract.DoesNotExist:
        raise Http404 from None


@staff_required
@cache_staff_page
def contract_list_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = ContractFilterForm(request.GET or None, user=request.user)
    filters = form.to_filters()
    qs = contract_list(user=request.user, filters=filters, today=today)
    # Keyset links and a bounded count: page 20,000 of a million rows costs what page 2 does.
    page = paginate(request, qs, per_page=PAGE_SIZE)
    for contract in page.object_list:
        contract.days_left = (contract.end_date - today).days
    customer = None
    if filters.customer_id:
        customer = customers_visible_to(request.user).filter(pk=filters.customer_id).first()
    return render(
        request,
        "contracts/contract_list.html",
        {
            "form": form,
            "filters": filters,
            "page_obj": page,
            "today": today,
            "default_sort": CONTRACT_DEFAULT_SORT,
            "filter_customer": customer,
            "ending_presets": (30, 60, 90),
            "is_filtered": any(
                request.GET.get(k)
                for k in (
                    "q",
                    "status",
                    "ending_within",
                    "manager",
                    "plan",
                    "tier",
                    "ended_from",
                    "cancel_reason",
                )
            )
            or customer is not None,
        },
    )


def _timeline(contract: Contract) -> list[dict[str, Any]]:
    rows = []
    # One row per action: a renewal quote's own "sent"/"signed" row goes beside the case's.
    for event in timeline_merge(contract.events.all()):
        rows.append(
            {
                "event": event,
                "label": event_kind_label(event.kind, RENEWAL_EVENT_LABELS, RETENTION_EVENT_LABELS),
                "from_label": status_label(event.from_status) if event.from_status else "",
                "to_label": status_label(event.to_status) if event.to_status else "",
                "payload": event_payload_display(event.payload, currency=contract.currency),
                # In the reader's language (a held renewal's reason is kept as codes).
                "reason": event_reason_text(event),
            }
        )
    # Newest first: what happened last is what the account manager looks for.
    rows.reverse()
    return rows


@staff_required
def contract_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk)
    allowed = contract_workflow.transitions[contract.status]
    can_change_auto_renew = not contract.is_ended and contract.status != S.VOID
    successor = contract_successor(contract=contract)
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "lines": list(contract.lines.all()),
            "successor": successor,
            # The Renewal card says how it was renewed (lifecycle.auto_renewal writes the
            # event on the predecessor); read only when there is a successor.
            "renewed_automatically": successor is not None
            and contract.events.filter(kind="auto_renewed").exists(),
            "timeline": _timeline(contract),
            "consents": list(contract.consents.all()),
            "documents": list(contract.documents.all()),
            "days_left": contract.days_until_end(),
            "can_edit": contract.is_editable,
            "can_send": contract.status == S.DRAFT,
            "can_return_to_draft": contract.status == S.AWAITING_SIGNATURE,
            "can_sign": contract.status == S.AWAITING_SIGNATURE,
            # A contract billed by invoice starts when its invoice is paid (billing records
            # the payment); the bare "first payment" action is only for contracts without one.
            "can_pay": contract.status == S.AWAITING_PAYMENT and not _billed_by_invoice(contract),
            "can_void": S.VOID in allowed,
            "can_change_auto_renew": can_change_auto_renew,
            "void_form": VoidForm(),
            "return_form": ReturnToDraftForm(),
            "signature_form": SignatureForm(initial={"signed_on": timezone.localdate()}),
            "auto_renew_form": AutoRenewForm(
                initial={
                    "enabled": "off" if contract.auto_renew else "on",
                    "text": STAFF_CONSENT_TEXT_OFF
                    if contract.auto_renew
                    else STAFF_CONSENT_TEXT_ON,
                }
            ),
        },
    )


def _one_year_later(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _save_draft(
    request: HttpRequest, *, contract: Contract | None, fixed_customer: Any = None
) -> HttpResponse:
    editing = contract is not None
    formset_class = line_formset_class(extra=1 if editing else 3)
    if contract is not None:
        initial = {
            "plan": contract.plan,
            "owner": contract.owner,
            "start_date": contract.start_date,
            "end_date": contract.end_date,
            "billing_period": contract.billing_period,
            "currency": contract.currency,
            "terms_version": contract.terms_version,
            "notice_period_days": contract.notice_period_days,
        }
        line_initial = [
            {"description": x.description, "quantity": x.quantity, "unit_price": x.unit_price}
            for x in contract.lines.all()
        ]
    else:
        today = timezone.localdate()
        initial = {"start_date": today, "end_date": _one_year_later(today) - dt.timedelta(days=1)}
        line_initial = []
    form_kwargs = {"user": request.user, "editing": editing, "fixed_customer": fixed_customer}
    if request.method == "POST":
        form = ContractDraftForm(request.POST, initial=initial, **form_kwargs)
        formset = formset_class(request.POST, initial=line_initial, prefix="lines")
        if form.is_valid() and formset.is_valid():
            data = dict(form.cleaned_data)
            lines = formset.line_specs()
            try:
                if contract is not None:
                    data.setdefault("owner", contract.owner)
                    if data["owner"] is None:
                        data["owner"] = contract.customer.account_manager
                    contract = services.contract_update_draft(
                        contract=contract, by=request.user, lines=lines, **data
                    )
                    messages.success(request, _("Draft saved."))
                else:
                    customer = data.pop("customer")
                    contract = services.contract_create_draft(
                        customer=customer, by=request.user, lines=lines, **data
                    )
                    messages.success(
                        request,
                        _("Draft contract %(number)s created.") % {"number": contract.number},
                    )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("contracts:detail", pk=contract.pk)
    else:
        form = ContractDraftForm(initial=initial, **form_kwargs)
        formset = formset_class(initial=line_initial, prefix="lines")
    return render(
        request,
        "contracts/contract_form.html",
        {
            "form": form,
            "formset": formset,
            "contract": contract,
            "fixed_customer": fixed_customer,
        },
    )


@staff_required
def contract_create_view(request: HttpRequest) -> HttpResponse:
    fixed_customer = None
    customer_pk = request.GET.get("customer", "")
    if customer_pk:
        if not customer_pk.isdigit():
            raise Http404
        fixed_customer = customers_visible_to(request.user).filter(pk=int(customer_pk)).first()
        if fixed_customer is None:
            raise Http404
    return _save_draft(request, contract=None, fixed_customer=fixed_customer)


@staff_required
def contract_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk)
    if not contract.is_editable:
        messages.error(
            request,
            _("Only a draft contract can be edited. This one is “%(status)s”.")
            % {"status": contract.get_status_display()},
        )
        return redirect("contracts:detail", pk=contract.pk)
    return _save_draft(request, contract=contract)


def _form_error_message(form: Any) -> str:
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)


def _run_action(
    request: HttpRequest,
    pk: int,
    action: Callable[[Contract, Any], Any],
    *,
    success: str,
    form_class: type | None = None,
) -> HttpResponse:
    contract = _get_contract(request, pk)
    form = None
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, _form_error_message(form))
            return redirect("contracts:detail", pk=contract.pk)
    try:
        action(contract, form.cleaned_data if form is not None else {})
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("contracts:detail", pk=contract.pk)


@require_POST
@staff_required
def contract_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        lambda c, _d: services.contract_send_for_signature(contract=c, by=request.user),
        success=_("Sent for signature."),
    )


@require_POST
@staff_required
def contract_return_to_draft_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        lambda c, d: services.contract_return_to_draft(
            contract=c, by=request.user, reason=d["reason"]
        ),
        success=_("Returned to draft."),
        form_class=ReturnToDraftForm,
    )


def _signed_at(day: dt.date) -> dt.datetime:
    if day == timezone.localdate():
        return timezone.now()
    # A past day without a time: noon in the business time zone.
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@require_POST
@staff_required
def contract_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        lambda c, d: services.contract_record_signature(
            contract=c,
            by=request.user,
            signed_at=_signed_at(d["signed_on"]),
            payload={"channel": "offline", "note": d["note"]},
        ),
        success=_("Signature recorded."),
        form_class=SignatureForm,
    )


def _billed_by_invoice(contract) -> bool:
    return invoices_for_contract(contract=contract).exists()


def _record_first_payment(contract, by) -> None:
    if _billed_by_invoice(contract):
        raise DomainError(
            _("This contract is billed by invoice: record the payment on its invoice.")
        )
    services.contract_record_first_payment(contract=contract, by=by)


@require_POST
@staff_required
def contract_pay_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        lambda c, _d: _record_first_payment(c, request.user),
        success=_("First payment recorded."),
    )


@require_POST
@staff_required
def contract_void_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        lambda c, d: services.contract_void(contract=c, by=request.user, reason=d["reason"]),
        success=_("Contract voided."),
        form_class=VoidForm,
    )


@require_POST
@staff_required
def contract_auto_renew_view(request: HttpRequest, pk: int) -> HttpResponse:
    def switch(contract: Contract, data: dict[str, Any]) -> None:
        services.contract_set_auto_renew(
            contract=contract,
            enabled=data["enabled"],
            by=request.user,
            channel="staff",
            text=data["text"],
            text_version=STAFF_CONSENT_TEXT_VERSION,
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent", ""),
        )

    enabled = request.POST.get("enabled") == "on"
    return _run_action(
        request,
        pk,
        switch,
        success=_("Auto-renewal switched on.") if enabled else _("Auto-renewal switched off."),
        form_class=AutoRenewForm,
    )

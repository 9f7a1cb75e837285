"""The staff page of a customer's contact plan, under /staff/relations/customers/<pk>/
contact-plan/ (linked from the customer page's "Contact plan" card): the tier's cadence of
each kind beside the customer's own, and a form per kind to add, change or remove the
customer's. POST, then redirect (Post/Redirect/Get); a refused form is shown again with
its errors beside the fields (400).

The customer is looked up with the customer page's own rule
(``customers.selectors.customer_get_for_staff``): outside the user's book it answers 404.
This module imports only apps below relations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import AuthenticatedRequest, staff_required
from core.errors import DomainError
from core.form_errors import focus_first_error
from customers.models import Customer
from customers.selectors import customer_get_for_staff

from .customer_cadences import (
    customer_cadence_remove,
    customer_cadence_set,
    customer_cadences,
)
from .forms import CustomerCadenceForm
from .models import ContactKind


def _customer(request: AuthenticatedRequest, pk: int) -> Customer:
    try:
        return customer_get_for_staff(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None


def _kind(kind: str) -> ContactKind:
    if kind not in ContactKind.values:
        raise Http404
    return ContactKind(kind)


def _mark_errors(form: CustomerCadenceForm) -> CustomerCadenceForm:
    """The refused fields outlined and tied to their message (screen readers read it)."""
    for name in form.errors:
        if name in form.fields:
            attrs = form.fields[name].widget.attrs
            attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{form[name].auto_id}-error"
    return focus_first_error(form)


def _page(
    request: AuthenticatedRequest,
    customer: Customer,
    *,
    bound: CustomerCadenceForm | None = None,
    bound_kind: str = "",
    status: int = 200,
) -> HttpResponse:
    rows: list[dict[str, Any]] = []
    for item in customer_cadences(customer):
        if bound is not None and item.kind == bound_kind:
            form = _mark_errors(bound)
        else:
            form = CustomerCadenceForm.for_row(item.override or item.tier_cadence, prefix=item.kind)
        rows.append({"item": item, "form": form})
    return render(
        request,
        "relations/customer_contact_plan.html",
        {"customer": customer, "rows": rows, "tier": customer.tier_override or customer.tier},
        status=status,
    )


@staff_required
def customer_contact_plan(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _page(request, _customer(request, pk))


@require_POST
@staff_required
def customer_cadence_save(request: AuthenticatedRequest, pk: int, kind: str) -> HttpResponse:
    customer = _customer(request, pk)
    contact_kind = _kind(kind)
    form = CustomerCadenceForm(request.POST, prefix=contact_kind.value)
    if form.is_valid():
        data = form.cleaned_data
        try:
            customer_cadence_set(
                customer=customer,
                by=request.user,
                kind=contact_kind.value,
                every=data["every"],
                unit=data["unit"],
                lead_days=data["lead_days"],
                estimate_minutes=data["estimate_minutes"],
                active=not data["switched_off"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(kind)s plan for %(customer)s saved.")
                % {"kind": contact_kind.label, "customer": customer.name},
            )
            return redirect("relations:customer-contact-plan", pk=customer.pk)
    return _page(request, customer, bound=form, bound_kind=contact_kind.value, status=400)


@require_POST
@staff_required
def customer_cadence_delete(request: AuthenticatedRequest, pk: int, kind: str) -> HttpResponse:
    customer = _customer(request, pk)
    contact_kind = _kind(kind)
    try:
        removed = customer_cadence_remove(
            customer=customer, by=request.user, kind=contact_kind.value
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if removed:
            messages.success(
                request,
                _("%(kind)s: %(customer)s follows the tier's plan again.")
                % {"kind": contact_kind.label, "customer": customer.name},
            )
        else:
            messages.info(request, _("There was nothing to remove."))
    return redirect("relations:customer-contact-plan", pk=customer.pk)

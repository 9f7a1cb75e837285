"""Staff customer pages. Thin: a form validates, one service call, redirect (PRG).

Every lookup goes through core.access (via the selectors): a customer outside the
user's book is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.customer_selectors import customer_detail, customer_list
from core.auth import staff_required
from core.errors import DomainError
from core.form_errors import focus_first_error
from core.page_cache import cache_staff_page
from core.pagination import paginate

from . import services
from .forms import ContactForm, CustomerFilterForm, CustomerForm, TierOverrideForm
from .models import Contact, Customer
from .selectors import CUSTOMER_DEFAULT_SORT, customer_get_for_staff

PAGE_SIZE = 25


def _get_customer(request: HttpRequest, pk: int) -> Customer:
    try:
        return customer_get_for_staff(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None


@staff_required
@cache_staff_page
def customer_list_view(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None, user=request.user)
    filters = form.to_filters()
    # Keyset links where the sort is over plain columns (code, name); sorting by a
    # computed figure (value, next end, tier) or the nullable manager pages by offset.
    page = paginate(
        request,
        customer_list(user=request.user, filters=filters),
        per_page=PAGE_SIZE,
        keyset=filters.sort.lstrip("-") in ("code", "name", ""),
    )
    return render(
        request,
        "customers/customer_list.html",
        {
            "form": form,
            "page_obj": page,
            "default_sort": CUSTOMER_DEFAULT_SORT,
            "is_filtered": any(
                request.GET.get(k)
                for k in ("q", "tier", "manager", "tag", "term", "segment", "not_contacted")
            ),
        },
    )


def customer_page(
    request: HttpRequest,
    pk: int,
    *,
    tier_form: TierOverrideForm | None = None,
    interaction_form: Any = None,
) -> HttpResponse:
    """The customer page; after a refused tier override or relationship log entry, with
    that form bound: its errors beside their fields, the values entered kept, the page
    scrolled to it (insights.views.interaction_add renders it too)."""
    try:
        detail = customer_detail(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    customer = detail.customer
    if tier_form is None:
        tier_form = TierOverrideForm(
            initial={"tier": customer.tier_override, "reason": customer.tier_override_reason}
        )
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "contacts": list(customer.contacts.all()),
            "portal_accounts": list(customer.portal_accounts.all()),
            "contracts": detail.contracts,
            "contract_count": detail.contract_count,
            "open_tasks": detail.open_tasks,
            "tier_form": focus_first_error(tier_form),
            # Read by the relationship block (insights_tags.customer_relationship).
            "interaction_form": focus_first_error(interaction_form) if interaction_form else None,
        },
    )


@staff_required
def customer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return customer_page(request, pk)


@staff_required
def customer_create_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CustomerForm(request.POST, user=request.user, creating=True)
        if form.is_valid():
            fields = form.customer_fields()
            fields.setdefault("account_manager", request.user)
            try:
                customer = services.customer_create(
                    by=request.user, contact=form.contact_fields(), **fields
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Customer %(code)s created.") % {"code": customer.code})
                return redirect("customers:detail", pk=customer.pk)
    else:
        form = CustomerForm(user=request.user, creating=True)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@staff_required
def customer_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _get_customer(request, pk)
    if request.method == "POST":
        # The form validates against a copy: the service is the one that writes.
        form = CustomerForm(
            request.POST,
            instance=Customer.objects.get(pk=customer.pk),
            user=request.user,
            creating=False,
        )
        if form.is_valid():
            try:
                services.customer_update(
                    customer=customer, by=request.user, **form.customer_fields()
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Customer saved."))
                return redirect("customers:detail", pk=customer.pk)
    else:
        form = CustomerForm(instance=customer, user=request.user, creating=False)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@require_POST
@staff_required
def customer_tier_override_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _get_customer(request, pk)
    form = TierOverrideForm(request.POST)
    if not form.is_valid():
        return customer_page(request, customer.pk, tier_form=form)
    try:
        services.customer_set_tier_override(
            customer=customer,
            by=request.user,
            tier=form.cleaned_data["tier"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return customer_page(request, customer.pk, tier_form=form)
    if form.cleaned_data["tier"]:
        messages.success(request, _("Tier override saved."))
    else:
        messages.success(request, _("Tier override removed; the computed tier applies."))
    return redirect("customers:detail", pk=customer.pk)


def _contact_form_view(
    request: HttpRequest, customer: Customer, contact: Contact | None
) -> HttpResponse:
    if request.method == "POST":
        form = ContactForm(
            request.POST,
            instance=Contact.objects.get(pk=contact.pk) if contact else None,
        )
        if form.is_valid():
            try:
                services.contact_save(
                    customer=customer, by=request.user, contact=contact, **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Contact saved."))
                return redirect("customers:detail", pk=customer.pk)
    else:
        form = ContactForm(instance=contact)
    context: dict[str, Any] = {"form": form, "customer": customer, "contact": contact}
    return render(request, "customers/contact_form.html", context)


@staff_required
def contact_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _get_customer(request, pk)
    return _contact_form_view(request, customer, None)


@staff_required
def contact_edit_view(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = _get_customer(request, pk)
    contact = customer.contacts.filter(pk=contact_pk).first()
    if contact is None:
        raise Http404
    return _contact_form_view(request, customer, contact)

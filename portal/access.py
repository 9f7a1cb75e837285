"""The one access rule of the portal: every query is scoped to the logged-in customer.

Every portal view (ours and the renewal / cancellation flows that plug into the portal)
gets the customer with :func:`portal_customer` and fetches objects only through the
``*_for_customer`` helpers here, which raise ``Http404`` for anything that belongs to
another customer. 404 rather than 403: a customer must not learn that another
customer's contract number exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from contracts.models import Contract
from core.models import Document
from customers.models import Contact, Customer, PortalAccount

_CACHE_ATTR = "_portal_customer"


def portal_customer_or_none(request: HttpRequest) -> Customer | None:
    """The customer the logged-in user acts for, or None (anonymous, staff, no account)."""
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)
    customer = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        account = PortalAccount.objects.select_related("customer").filter(user_id=user.pk).first()
        if account is not None:
            customer = account.customer
    setattr(request, _CACHE_ATTR, customer)
    return customer


def portal_customer(request: HttpRequest) -> Customer:
    """The logged-in customer; raises Http404 when there is none (use the decorator first)."""
    customer = portal_customer_or_none(request)
    if customer is None:
        raise Http404
    return customer


def portal_login_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Only a logged-in user with a PortalAccount gets through.

    Anonymous visitors are sent to the portal login; a logged-in staff member (or any
    user without a portal account) gets a friendly page explaining the portal is for
    customers — never the portal itself.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            login_url = reverse("portal:login")
            return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        customer = portal_customer_or_none(request)
        if customer is None:
            return render(request, "portal/not_a_customer.html", status=403)
        request.portal_customer = customer  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def contracts_for_customer(*, customer: Customer) -> QuerySet[Contract]:
    return Contract.objects.filter(customer=customer)


def contract_get_for_customer(*, customer: Customer, pk: Any) -> Contract:
    """The customer's contract with this id, or Http404 (also for malformed ids)."""
    try:
        return contracts_for_customer(customer=customer).select_related("customer").get(pk=pk)
    except (Contract.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def scoped_get_or_404(queryset: QuerySet, *, customer: Customer, pk: Any, path: str = "customer"):
    """Fetch one object of any model, requiring ``<path>`` to be this customer.

    For other apps' models: ``scoped_get_or_404(RenewalCase.objects.all(), customer=c,
    pk=pk, path="contract__customer")``.
    """
    try:
        return queryset.filter(**{path: customer}).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def documents_for_customer(*, customer: Customer) -> QuerySet:
    return Document.objects.filter(customer=customer)


def contacts_for_customer(*, customer: Customer) -> QuerySet:
    return Contact.objects.filter(customer=customer)

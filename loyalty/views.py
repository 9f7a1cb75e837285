"""Staff pages of loyalty: a customer's points, level, privileges, ledger, redemptions and
referrals, with a points adjustment (reason required: the ledger row is the audit trail)
and the link of a referral code to the customer it brought. Customers outside the user's
book answer 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import AuthenticatedRequest, staff_required
from core.errors import DomainError
from customers.access import customers_visible_to
from customers.models import Customer

from . import selectors, services
from .forms import AdjustForm, ReferralLinkForm
from .models import Redemption, Referral


def _customer(request: AuthenticatedRequest, pk: int) -> Customer:
    return get_object_or_404(customers_visible_to(request.user), pk=pk)


def _first_error(form: AdjustForm | ReferralLinkForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("Check the form.")


@staff_required
def customer_loyalty(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    today = timezone.localdate()
    history = Paginator(selectors.points_history(customer=customer), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "loyalty/customer_loyalty.html",
        {
            "customer": customer,
            "summary": selectors.member_summary(customer=customer, on=today),
            "history": history,
            "redemptions": Redemption.objects.filter(customer=customer).select_related(
                "reward", "created_by"
            )[:50],
            "referrals": Referral.objects.filter(referrer=customer).select_related(
                "referred_customer"
            ),
            "referred_by": Referral.objects.filter(referred_customer=customer)
            .select_related("referrer")
            .first(),
            "adjust_form": AdjustForm(),
            "link_form": ReferralLinkForm(),
        },
    )


@staff_required
@require_POST
def points_adjust(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("loyalty:customer", pk=customer.pk)
    try:
        services.points_adjust(
            customer=customer,
            points=form.cleaned_data["points"],
            reason=form.cleaned_data["reason"],
            by=request.user,
            on=timezone.localdate(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Points adjusted."))
    return redirect("loyalty:customer", pk=customer.pk)


@staff_required
@require_POST
def referral_link(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record that this customer came through a referral code."""
    customer = _customer(request, pk)
    form = ReferralLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("loyalty:customer", pk=customer.pk)
    referral = Referral.objects.filter(token=form.cleaned_data["code"].strip().upper()).first()
    if referral is None:
        messages.error(request, _("No referral has this code."))
        return redirect("loyalty:customer", pk=customer.pk)
    try:
        services.referral_link(referral=referral, customer=customer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Referral recorded: %(referrer)s earns points when this customer signs.")
            % {"referrer": referral.referrer.name},
        )
    return redirect("loyalty:customer", pk=customer.pk)

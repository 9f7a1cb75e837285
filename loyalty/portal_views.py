"""The portal's rewards pages: points, level, privileges, history with expiry dates,
redeeming a reward (a confirmation page, then POST) and inviting a contact. Every query
goes through the logged-in customer (portal.access)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from portal.access import portal_customer, portal_login_required

from . import selectors, services
from .forms import ReferralForm
from .models import Referral
from .referral_invitations import INVITATIONS_PER_DAY

SECTION = "rewards"


@portal_login_required
def rewards(request: HttpRequest) -> HttpResponse:
    request.portal_section = SECTION  # type: ignore[attr-defined]
    customer = portal_customer(request)
    today = timezone.localdate()
    history = Paginator(selectors.points_history(customer=customer), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "loyalty/portal/rewards.html",
        {
            "summary": selectors.member_summary(customer=customer, on=today),
            "history": history,
            "rewards": selectors.rewards_available(),
            "pending": selectors.pending_renewal_redemptions(customer=customer),
        },
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def reward_redeem(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows what the customer is about to spend; only POST spends it."""
    request.portal_section = SECTION  # type: ignore[attr-defined]
    customer = portal_customer(request)
    reward = get_object_or_404(selectors.rewards_available(), pk=pk)
    today = timezone.localdate()
    if request.method == "POST":
        try:
            services.reward_redeem(customer=customer, reward=reward, on=today, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Redeemed “%(reward)s” for %(points)s points.")
                % {"reward": reward.display_name, "points": reward.points_cost},
            )
            return redirect("portal:rewards")
    available = selectors.points_available(customer=customer, on=today)
    return render(
        request,
        "loyalty/portal/redeem_confirm.html",
        {"reward": reward, "available": available, "after": available - reward.points_cost},
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def referrals(request: HttpRequest) -> HttpResponse:
    request.portal_section = SECTION  # type: ignore[attr-defined]
    customer = portal_customer(request)
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_invite(referrer=customer, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Thank you! We e-mailed %(name)s an invitation with your referral code "
                    "%(code)s: you earn points when they sign their first contract."
                )
                % {"name": referral.contact_name, "code": referral.token},
            )
            return redirect("portal:referrals")
    return render(
        request,
        "loyalty/portal/referrals.html",
        {
            "form": form,
            "referrals": Referral.objects.filter(referrer=customer).select_related(
                "referred_customer"
            ),
            "daily_limit": INVITATIONS_PER_DAY,
        },
    )

"""The customer side of campaigns, under /portal/campaigns/: the tracked link of a campaign
message, its landing page and click beacon, the unsubscribe link of a campaign e-mail, and
the portal's one-click marketing opt-out. config/urls.py includes this module's
``urlpatterns`` (a URL module of its own would be a domain module importing an interface).

GET never changes state (mail scanners follow links): the tracked link only redirects,
the landing page only renders, the unsubscribe link opens a confirmation page. The click is
recorded by the landing page's static script (a POST with the CSRF token), the opt-out by
a POST button."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.tokens import TokenInvalid
from customers.models import Customer
from portal.access import portal_customer, portal_login_required

from .campaign_models import CampaignRecipient, MarketingChoiceSource
from .campaigns import click_record, link_recipient
from .marketing_choices import marketing_choose, marketing_opted_out, unsubscribe_customer


def _client(request: HttpRequest) -> tuple[str | None, str]:
    return request.META.get("REMOTE_ADDR"), request.META.get("HTTP_USER_AGENT", "")


def _bad_link(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "relations/campaigns/link_error.html", {"message": message}, status=400)


@require_GET
def link_go(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a campaign message: checks the signature and redirects, writes nothing."""
    try:
        link_recipient(token)
    except (TokenInvalid, CampaignRecipient.DoesNotExist) as exc:
        return _bad_link(request, str(getattr(exc, "message", "")) or _("This link is not valid."))
    return redirect("campaigns:visit", token=token)


@require_GET
def link_visit(request: HttpRequest, token: str) -> HttpResponse:
    """The landing page: the campaign and a button to where its link leads. Its script
    posts the click beacon; nothing is written by the GET."""
    try:
        recipient = link_recipient(token)
    except (TokenInvalid, CampaignRecipient.DoesNotExist) as exc:
        return _bad_link(request, str(getattr(exc, "message", "")) or _("This link is not valid."))
    return render(
        request,
        "relations/campaigns/landing.html",
        {
            "campaign": recipient.campaign,
            "recipient": recipient,
            "token": token,
            "target": recipient.campaign.link_url,
        },
    )


@require_POST
def link_click(request: HttpRequest, token: str) -> HttpResponse:
    """The landing page's beacon (CSRF-protected POST): the recipient's first click counts."""
    try:
        recipient = link_recipient(token)
    except (TokenInvalid, CampaignRecipient.DoesNotExist):
        return HttpResponse(status=400)
    click_record(recipient, now=timezone.now())
    return HttpResponse(status=204)


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The unsubscribe link of a campaign e-mail: GET asks, POST records the opt-out."""
    try:
        customer = unsubscribe_customer(token)
    except (TokenInvalid, Customer.DoesNotExist) as exc:
        return _bad_link(request, str(getattr(exc, "message", "")) or _("This link is not valid."))
    done = False
    if request.method == "POST":
        ip, agent = _client(request)
        marketing_choose(
            customer=customer,
            opted_out=True,
            source=MarketingChoiceSource.EMAIL_LINK,
            by=request.user,
            ip=ip,
            user_agent=agent,
        )
        done = True
    return render(
        request,
        "relations/campaigns/unsubscribe.html",
        {"customer": customer, "done": done or marketing_opted_out(customer)},
    )


@portal_login_required
@require_POST
def marketing_choice(request: HttpRequest) -> HttpResponse:
    """The portal preferences page's one-click button: stop (or resume) campaigns."""
    customer = portal_customer(request)
    opted_out = request.POST.get("opted_out") == "1"
    ip, agent = _client(request)
    marketing_choose(
        customer=customer,
        opted_out=opted_out,
        source=MarketingChoiceSource.PORTAL,
        by=request.user,
        ip=ip,
        user_agent=agent,
    )
    messages.success(
        request,
        _("You will no longer receive offers and newsletters.")
        if opted_out
        else _("You will receive offers and newsletters again."),
    )
    return redirect("portal:preferences")


app_name = "campaigns"

urlpatterns = [
    path("go/<str:token>/", link_go, name="go"),
    path("visit/<str:token>/", link_visit, name="visit"),
    path("visit/<str:token>/click/", link_click, name="click"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path("marketing/", marketing_choice, name="marketing-choice"),
]

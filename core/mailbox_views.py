"""The local mail catcher's pages (core.mailbox): mounted by config.urls only when the
settings have LOCAL_MAILBOX_DIR, i.e. under config.settings.local."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.mailbox import BACKEND, mailbox_get, mailbox_list, mailbox_login_links

LOOPBACK = {"127.0.0.1", "::1"}


def _check(request: HttpRequest) -> None:
    """Staff, or anyone on this machine: a portal customer being tried out reads their
    login link here before anybody is logged in. From elsewhere the page does not exist."""
    if request.user.is_staff or request.META.get("REMOTE_ADDR") in LOOPBACK:
        return
    raise Http404


@require_GET
def mailbox(request: HttpRequest) -> HttpResponse:
    _check(request)
    to = request.GET.get("to", "")[:200]
    return render(
        request,
        "core/mailbox.html",
        {
            "items": mailbox_list(to=to),
            "login_links": [] if to else mailbox_login_links(),
            "to": to,
            "catching": settings.EMAIL_BACKEND == BACKEND,
        },
    )


@require_GET
def mailbox_message(request: HttpRequest, message_id: str) -> HttpResponse:
    _check(request)
    item = mailbox_get(message_id)
    if item is None:
        raise Http404
    return render(request, "core/mailbox_message.html", {"item": item})

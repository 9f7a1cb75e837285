"""Portal views: thin; access through portal.access, writes through portal.services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from core.auth import AuthenticatedRequest
from core.document_files import document_response
from core.errors import DomainError
from insights.models import Feedback, FeedbackStatus
from notifications.services import message_mark_read
from renewals.documents import document_rerender

from . import selectors, services
from .access import (
    contacts_for_customer,
    contract_get_for_customer,
    documents_for_customer,
    portal_customer,
    portal_customer_or_none,
    portal_login_required,
    scoped_get_or_404,
)
from .forms import (
    ContactForm,
    FeedbackForm,
    FeedbackReplyForm,
    MagicLinkRequestForm,
    PasswordLoginForm,
    PortalFormMixin,
    PreferencesForm,
)
from .ratelimit import client_ip, rate_hit, rate_limited, rate_reset

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _rate_limited_response(request: HttpRequest, scope: str) -> HttpResponse:
    from .ratelimit import limit_for

    window = limit_for(scope).window
    response = render(
        request, "portal/rate_limited.html", {"minutes": max(1, window // 60)}, status=429
    )
    response["Retry-After"] = str(window)
    return response


def _log_in(request: HttpRequest, user) -> HttpResponse | None:
    login(request, user, backend=BACKEND)
    return None


def _after_login_redirect(request: HttpRequest, next_url: str = "") -> HttpResponse:
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("portal:home")
    response = redirect(next_url)
    # Once logged in the interface follows the customer's preferred language: drop a
    # language chosen on the (anonymous) login page so UserLanguageMiddleware applies it.
    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


# --- Login ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login_request(request: HttpRequest) -> HttpResponse:
    if portal_customer_or_none(request) is not None:
        return redirect("portal:home")
    form = MagicLinkRequestForm(request.POST or None)
    if request.method == "POST":
        ip = client_ip(request)
        email = request.POST.get("email", "")[:254]
        if rate_limited(scope="link", ip=ip, email=email):
            return _rate_limited_response(request, "link")
        if form.is_valid():
            rate_hit(scope="link", ip=ip, email=form.cleaned_data["email"])
            services.magic_link_request(email=form.cleaned_data["email"])
            # Same answer whether or not the address is known.
            return redirect("portal:login-sent")
    return render(request, "portal/login.html", {"form": form})


@never_cache
def login_sent(request: HttpRequest) -> HttpResponse:
    minutes = settings.RENEWDESK["MAGIC_LINK_MAX_AGE"] // 60
    return render(request, "portal/login_sent.html", {"minutes": minutes})


def _token_error(request: HttpRequest, exc: services.TokenInvalid) -> HttpResponse:
    # Expired and already-used links are "gone" (410); tampered ones are bad requests.
    status = 410 if isinstance(exc, services.TokenExpired | services.MagicLinkUsed) else 400
    return render(
        request,
        "portal/token_error.html",
        {"message": exc.message, "code": exc.code},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def magic_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation page and changes nothing (mail scanners open links);
    the POST from its button logs in and uses the link up."""
    ip = client_ip(request)
    if request.method == "POST" and rate_limited(scope="login", ip=ip):
        return _rate_limited_response(request, "login")
    try:
        if request.method == "GET":
            user = services.magic_link_user(token=token)
            return render(request, "portal/magic_link_confirm.html", {"login_user": user})
        user = services.magic_link_consume(token=token)
    except services.TokenInvalid as exc:
        if request.method == "POST":
            rate_hit(scope="login", ip=ip)
        return _token_error(request, exc)
    _log_in(request, user)
    return _after_login_redirect(request)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def password_login(request: HttpRequest) -> HttpResponse:
    form = PasswordLoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST":
        ip = client_ip(request)
        email = request.POST.get("email", "")[:254]
        if rate_limited(scope="login", ip=ip, email=email):
            return _rate_limited_response(request, "login")
        if form.is_valid():
            user = services.portal_user_for_email(form.cleaned_data["email"])
            if (
                user is not None
                and user.has_usable_password()
                and user.check_password(form.cleaned_data["password"])
            ):
                rate_reset(scope="login", email=form.cleaned_data["email"])
                _log_in(request, user)
                return _after_login_redirect(request, next_url)
            rate_hit(scope="login", ip=ip, email=email)
            form.add_error(
                None,
                _(
                    "The e-mail address or password is not right. "
                    "You can also log in with a link sent by e-mail."
                ),
            )
    return render(request, "portal/password_login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are logged out."))
    return redirect("portal:login")


# --- Pages ---------------------------------------------------------------------------


@portal_login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    customer = portal_customer(request)
    contracts = selectors.dashboard_contracts(customer=customer)
    actions = selectors.pending_actions(customer=customer, contracts=contracts)
    open_feedback = (
        selectors.feedback_for_customer(customer=customer)
        .exclude(status=FeedbackStatus.CLOSED)
        .count()
    )
    return render(
        request,
        "portal/dashboard.html",
        {
            "customer": customer,
            "contracts": contracts,
            "actions": actions,
            "open_feedback": open_feedback,
        },
    )


@portal_login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    if contract.status not in selectors.VISIBLE_STATUSES:
        raise Http404
    context = {"contract": contract, "days_to_end": contract.days_until_end()}
    context.update(selectors.contract_detail_for_customer(contract=contract))
    return render(request, "portal/contract_detail.html", context)


@portal_login_required
def document_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    customer = portal_customer(request)
    document = scoped_get_or_404(
        documents_for_customer(customer=customer), customer=customer, pk=pk
    )
    # A lost file: an identical copy (same SHA-256) made again, else a page saying it is
    # unavailable while staff restore it (core.document_files, renewals.documents).
    return document_response(
        request,
        document=document,
        filename=document.file.name.rsplit("/", 1)[-1],
        rerender=document_rerender(document),
        unavailable_template="portal/document_unavailable.html",
        as_attachment=True,
    )


@portal_login_required
def messages_inbox(request: HttpRequest) -> HttpResponse:
    customer = portal_customer(request)
    return render(request, "portal/messages.html", {"inbox": selectors.inbox(customer=customer)})


@portal_login_required
@require_POST
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one in-app message read (POST: reading the inbox itself changes nothing)."""
    customer = portal_customer(request)
    message = scoped_get_or_404(
        selectors.inbox_queryset(customer=customer), customer=customer, pk=pk
    )
    message_mark_read(message=message, customer=customer)
    return redirect("portal:messages")


@portal_login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    customer = portal_customer(request)
    initial = {
        "notify_email": customer.notify_email,
        "notify_sms": customer.notify_sms,
        "notify_in_app": customer.notify_in_app,
        "language": request.user.language or customer.language,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_preferences_update(
                customer=customer, user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            language = form.cleaned_data["language"]
            from django.utils import translation

            translation.activate(language)
            messages.success(request, _("Your preferences are saved."))
            response = redirect("portal:preferences")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
    return render(request, "portal/preferences.html", {"form": form, "customer": customer})


class _PasswordChange(PortalFormMixin, PasswordChangeForm):
    pass


class _PasswordSet(PortalFormMixin, SetPasswordForm):
    pass


@portal_login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_change(request: AuthenticatedRequest) -> HttpResponse:
    form_class = _PasswordChange if request.user.has_usable_password() else _PasswordSet
    form = form_class(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is saved. You can now log in with it."))
        return redirect("portal:preferences")
    return render(request, "portal/password_change.html", {"form": form})


@portal_login_required
def contacts(request: HttpRequest) -> HttpResponse:
    customer = portal_customer(request)
    return render(
        request,
        "portal/contacts.html",
        {"contacts": contacts_for_customer(customer=customer), "customer": customer},
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    contact = scoped_get_or_404(contacts_for_customer(customer=customer), customer=customer, pk=pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        services.portal_contact_update(
            customer=customer, user=request.user, contact=contact, **form.cleaned_data
        )
        messages.success(request, _("Contact details saved."))
        return redirect("portal:contacts")
    return render(request, "portal/contact_edit.html", {"form": form, "contact": contact})


@portal_login_required
def feedback_list(request: HttpRequest) -> HttpResponse:
    customer = portal_customer(request)
    return render(
        request,
        "portal/feedback_list.html",
        {"items": selectors.feedback_for_customer(customer=customer)},
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def feedback_new(request: HttpRequest) -> HttpResponse:
    customer = portal_customer(request)
    contracts = selectors.portal_contracts(customer=customer)
    initial = {}
    contract_id = request.GET.get("contract", "")
    if contract_id.isdigit() and contracts.filter(pk=contract_id).exists():
        initial["contract"] = contract_id
    form = FeedbackForm(request.POST or None, contracts=contracts, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.feedback_submit(customer=customer, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Thank you. We received %(ref)s and will answer by %(due)s.")
                % {
                    "ref": item.reference,
                    "due": _localtime_str(item.sla_due_at),
                },
            )
            return redirect("portal:feedback-detail", pk=item.pk)
    # The answer times this customer gets: their member level may promise a faster one.
    sla, priority = services.feedback_sla_for_customer(customer=customer, on=timezone.localdate())
    return render(
        request,
        "portal/feedback_new.html",
        {"form": form, "sla": sla, "priority": priority},
    )


def _localtime_str(value) -> str:
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


@portal_login_required
@require_http_methods(["GET", "POST"])
def feedback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    item = scoped_get_or_404(Feedback.objects.all(), customer=customer, pk=pk)
    form = FeedbackReplyForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action", "reply")
        try:
            if action == "close":
                services.feedback_set_status(
                    feedback=item,
                    to=FeedbackStatus.CLOSED,
                    by=request.user,
                    note="closed by customer",
                )
                messages.success(request, _("Thank you. This request is closed."))
                return redirect("portal:feedback-detail", pk=item.pk)
            if form.is_valid():
                services.feedback_reply_add(
                    feedback=item, by=request.user, body=form.cleaned_data["body"], from_staff=False
                )
                messages.success(request, _("Your reply was sent."))
                return redirect("portal:feedback-detail", pk=item.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:feedback-detail", pk=item.pk)
    item = selectors.feedback_detail(feedback=item)
    return render(request, "portal/feedback_detail.html", {"item": item, "form": form})

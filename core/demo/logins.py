"""The one list of demo logins, printed by seed_demo and on every `make run` start.

Read from the database, not remembered from the seed: a password is shown only while it
still is the seed's, and each portal customer is labelled with what it can show *now*
(a renewal ready to sign, one ready to pay, a retention offer when it cancels), so the
list stays true after someone signed or cancelled in the portal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation

from billing.models import Invoice, InvoiceStatus
from contracts.models import Contract, ContractStatus
from core.models import User
from customers.models import Customer, PortalAccount
from renewals.models import RenewalCase, Stage
from retention.models import Reason
from retention.selectors import contract_has_open_cancellation, offer_for

from .data import ADMIN_PASSWORD, DEMO_PASSWORD

# The staff users cast.Cast.users creates, in the order they are listed.
DEMO_STAFF = ("admin", "zhao.min", "wang.li", "chen.jie")
PORTAL_LIST_MAX = 8
# Cancellation reasons tried for the offer label, most common first.
OFFER_REASONS = ("price", "budget", "low_usage", "service_quality", "competitor", "other")


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str | None  # None: no longer the seed's
    role: str


@dataclass(frozen=True)
class PortalLogin:
    email: str
    customer: str
    label: str


def staff_logins() -> list[StaffLogin]:
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_STAFF, is_active=True)}
    out = []
    for username in DEMO_STAFF:
        user = users.get(username)
        if user is None or not user.is_staff:
            continue
        seeded = ADMIN_PASSWORD if user.is_superuser else DEMO_PASSWORD
        if user.is_superuser:
            role = "superuser, Django admin"
        elif user.has_perm("core.view_all_books"):
            role = "team lead: sees every book"
        else:
            role = "account manager"
        out.append(StaffLogin(username, seeded if user.check_password(seeded) else None, role))
    return out


def _ready_to_sign(customer: Customer) -> str:
    case = (
        RenewalCase.objects.filter(contract__customer=customer, stage=Stage.QUOTE_SENT)
        .select_related("contract")
        .order_by("contract__end_date", "pk")
        .first()
    )
    return f"ready to sign: the renewal of {case.contract.number}" if case else ""


def _ready_to_pay(customer: Customer) -> str:
    invoice = (
        Invoice.objects.filter(
            customer=customer,
            status=InvoiceStatus.OPEN,
            contract__status=ContractStatus.AWAITING_PAYMENT,
        )
        .select_related("contract")
        .order_by("due_date", "pk")
        .first()
    )
    if invoice is None or invoice.contract is None:  # the filter asks for a contract
        return ""
    return f"ready to pay: invoice {invoice.number} of the signed renewal {invoice.contract.number}"


def _offer_on_cancel(customer: Customer, today: dt.date) -> str:
    contracts = (
        Contract.objects.filter(customer=customer, status=ContractStatus.ACTIVE)
        .exclude(
            successor__status__in=[
                ContractStatus.AWAITING_PAYMENT,
                ContractStatus.SCHEDULED,
                ContractStatus.ACTIVE,
            ]
        )
        .order_by("-end_date", "pk")
    )
    contract = next(
        (c for c in contracts if not contract_has_open_cancellation(contract_id=c.pk)), None
    )
    if contract is None:
        return ""
    for reason in OFFER_REASONS:
        if offer_for(reason=reason, tier=customer.effective_tier, today=today) is not None:
            with translation.override("en"):
                english = str(Reason(reason).label)
            with translation.override("zh-hans"):
                chinese = str(Reason(reason).label)
            return (
                f"with a retention offer on cancel: cancel {contract.number}, "
                f"reason “{english}” (“{chinese}”)"
            )
    return ""


def portal_label(customer: Customer, *, today: dt.date | None = None) -> str:
    """What this customer can show in the portal now (the most interesting first)."""
    today = today or timezone.localdate()
    checks = [
        lambda: _ready_to_sign(customer),
        lambda: _ready_to_pay(customer),
        lambda: _offer_on_cancel(customer, today),
    ]
    return next((label for check in checks if (label := check())), "")


def portal_logins(*, today: dt.date | None = None) -> list[PortalLogin]:
    accounts = (
        PortalAccount.objects.filter(user__is_active=True)
        .select_related("user", "customer")
        .order_by("pk")[:PORTAL_LIST_MAX]
    )
    return [
        PortalLogin(
            email=account.user.email,
            customer=f"{account.customer.code} {account.customer.name}",
            label=portal_label(account.customer, today=today),
        )
        for account in accounts
    ]


def _mailbox_url(site: str) -> str | None:
    from core.mailbox import mailbox_enabled

    return f"{site}/staff/dev/mail/" if mailbox_enabled() else None


def demo_logins_lines(*, site: str | None = None, today: dt.date | None = None) -> list[str]:
    site = site if site is not None else settings.SITE_URL
    lines: list[str] = []
    staff = staff_logins()
    if staff:
        lines.append(f"Demo logins: staff UI {site}/staff/   Django admin {site}/admin/")
        for login in staff:
            password = login.password or "(changed since the seed)"
            lines.append(f"  {login.username:<10} {password:<24} {login.role}")
    portal = portal_logins(today=today)
    if portal:
        mailbox = _mailbox_url(site)
        lines.append(
            f"Portal customers: {site}/portal/  enter one of these e-mails, then open the "
            "login link"
        )
        lines.append(
            f"  in the local mailbox {mailbox}"
            if mailbox
            else "  that is e-mailed (with the console backend the Celery worker prints it)"
        )
        width = max(len(p.email) for p in portal)
        for account in portal:
            label = f"  [{account.label}]" if account.label else ""
            lines.append(f"  {account.email:<{width}}  {account.customer}{label}")
    if not lines:
        lines.append(
            "No demo users. Create an admin with: .venv/bin/python manage.py createsuperuser"
        )
    return lines

"""The customer's own switch for automatic renewal (docs/compliance.md, "What the customer
can do"): the disclosure the rules ask for, the switch, and the confirmation.

- ``auto_renew_disclosure(contract, today=...)``: what the customer reads before switching
  on (the next term's dates and price at today's prices, the billing period, when we
  remind, how to switch off, the undo window if any) or off, and whether the rules ask
  for it to be shown prominently (China). Its fingerprint (payments'
  ``disclosure_digest``) goes into the form: the consent is recorded only for the very
  text the customer saw.
- ``auto_renew_switch(...)``: records the choice in the consent ledger
  (contracts.auto_renew_consent ``contract_set_auto_renew``: exact text, version, the
  customer's IP and user agent), stops a saved payment method with automatic renewal
  (payments' ``mandate_revoke``, as the automatic-payment page does) and confirms by
  message in the customer's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.services import term_end
from compliance.selectors import contract_ruleset_snapshot, ruleset_for
from contracts.auto_renew_consent import contract_set_auto_renew
from contracts.models import (
    AutoRenewConsent,
    BillingPeriod,
    ConsentChannel,
    Contract,
    ContractStatus,
)
from core.errors import DomainError
from core.money import money, money_text
from notifications.customer_messages import message_to_customer
from payments.models import MandateStatus, PaymentMandate
from payments.services.mandates import disclosure_digest, mandate_revoke
from renewals import services as renewal_services
from renewals.selectors import term_months
from retention.selectors import contract_has_open_cancellation

from .renewal_undo import company_undo_days

S = ContractStatus
# -2: the price as CNY 1,200.00 and the billing period as a phrase ("billed yearly").
TEXT_VERSION = "portal-auto-renew-2"
SWITCHABLE = (S.ACTIVE, S.SCHEDULED)
# The billing period inside the disclosure's sentence: the period's own label ("Annual",
# 按年) read "billed Annual" and 按按年计费.
BILLED: dict[str, Any] = {
    BillingPeriod.MONTHLY: gettext_lazy("billed monthly"),
    BillingPeriod.QUARTERLY: gettext_lazy("billed quarterly"),
    BillingPeriod.ANNUAL: gettext_lazy("billed yearly"),
}


@dataclass(frozen=True)
class Disclosure:
    enabled: bool  # what the switch would turn it to
    text: str
    digest: str
    prominent: bool
    next_start: dt.date
    next_end: dt.date
    next_total: Decimal
    currency: str


def contract_page_url(contract: Contract) -> str:
    """The contract's portal page, at its automatic-renewal section: where the customer
    switches it on or off again (the messages link here, not to the renewal page)."""
    return (
        settings.SITE_URL
        + reverse("portal:contract-detail", kwargs={"pk": contract.pk})
        + "#automatic-renewal"
    )


def consent_time_text(consent: AutoRenewConsent, *, language: str | None) -> str:
    """When the customer switched, for the confirmation: in the business time zone,
    written the way the customer's language writes a date and time."""
    with translation.override(language or None):
        return date_format(timezone.localtime(consent.at), "DATETIME_FORMAT")


def can_switch(contract: Contract) -> bool:
    return contract.status in SWITCHABLE


def next_term(contract: Contract) -> tuple[dt.date, dt.date, Decimal]:
    """The term an automatic renewal would make: its first and last days and its price at
    today's prices (what ``lifecycle.auto_renewal`` would charge if it renewed today)."""
    start = contract.end_date + dt.timedelta(days=1)
    months = term_months(contract.start_date, contract.end_date)
    lines = renewal_services.renewal_lines_at_current_prices(
        contract=contract, start=start, months=months
    )
    total = money(sum((s.quantity * s.unit_price for s in lines), Decimal("0")))
    return start, term_end(start, months), total


def auto_renew_off_text(contract: Contract) -> str:
    """What a customer accepts to switch automatic renewal off (the portal's switch and the
    automatic-payment page's off screen show the same words)."""
    return _(
        "I switch off the automatic renewal of contract %(number)s: it ends on %(end)s "
        "unless I renew it, and its renewals are no longer paid automatically."
    ) % {"number": contract.number, "end": contract.end_date.isoformat()}


def auto_renew_disclosure(contract: Contract, *, today: dt.date) -> Disclosure:
    """The text for switching automatic renewal to the other position, in the active
    language."""
    enabled = not contract.auto_renew
    start, end, total = next_term(contract)
    if enabled:
        rules = ruleset_for(contract.customer, on=today)
        signed = contract_ruleset_snapshot(contract)
        prominent = rules.prominent_disclosure_required or signed.prominent_disclosure_required
        facts = {
            "number": contract.number,
            "end": contract.end_date.isoformat(),
            "start": start.isoformat(),
            "next_end": end.isoformat(),
            "amount": money_text(total, contract.currency),
            "billed": BILLED.get(contract.billing_period, contract.get_billing_period_display()),
        }
        parts = [
            _(
                "I switch on the automatic renewal of contract %(number)s. When its term "
                "ends on %(end)s, it renews for a new term from %(start)s to %(next_end)s "
                "for %(amount)s at today's prices (%(billed)s), and so on at the end of "
                "each term until I switch it off. A renewal is invoiced "
                "on the day it starts; if prices change, the reminder before the renewal "
                "says so."
            )
            % facts
        ]
        if rules.renew_into_open_ended or signed.renew_into_open_ended:
            months = rules.open_ended_notice_months or signed.open_ended_notice_months or 1
            parts.append(
                _(
                    "Where the law of my country requires it, after the first term the "
                    "contract continues with no fixed end instead, and I can end it at any "
                    "time with %(months)s month(s) notice."
                )
                % {"months": months}
            )
        parts.append(
            _(
                "I am reminded before each renewal. I can switch automatic renewal off at "
                "any time, on one screen: on this contract's page in the portal, "
                "“Automatic renewal”, then “Switch off”. Not renewing "
                "costs nothing."
            )
        )
        undo = max([d for d in (rules.undo_window_days, company_undo_days()) if d], default=None)
        if undo:
            parts.append(
                _(
                    "After an automatic renewal I can undo it in the portal within %(days)s "
                    "days, and get back what I paid for the days not used."
                )
                % {"days": undo}
            )
        text = " ".join(parts)
    else:
        prominent = False
        text = auto_renew_off_text(contract)
    return Disclosure(
        enabled=enabled,
        text=text,
        digest=disclosure_digest(text),
        prominent=prominent,
        next_start=start,
        next_end=end,
        next_total=total,
        currency=contract.currency,
    )


def auto_renew_switch(
    *,
    contract: Contract,
    disclosure: Disclosure,
    digest: str,
    by: Any,
    ip_address: str | None,
    user_agent: str,
) -> AutoRenewConsent:
    """Record the customer's choice, exactly as shown (``digest`` is the fingerprint the
    form sent back: a different one means the text changed while the page was open, and
    nothing is recorded). Raises DomainError with a message for the customer."""
    if digest != disclosure.digest:
        raise DomainError(
            _("The terms changed while the page was open: please read them again."),
            code="text_changed",
        )
    if not can_switch(contract):
        raise DomainError(
            _("Automatic renewal can only be changed on a running or scheduled contract.")
        )
    if disclosure.enabled and contract_has_open_cancellation(contract_id=contract.pk):
        raise DomainError(_("This contract has a cancellation request open: withdraw it first."))
    with transaction.atomic():
        consent = contract_set_auto_renew(
            contract=contract,
            enabled=disclosure.enabled,
            by=by,
            channel=ConsentChannel.PORTAL,
            text=disclosure.text,
            text_version=TEXT_VERSION,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        if not disclosure.enabled:
            for mandate in PaymentMandate.objects.filter(
                contract=contract, status__in=[MandateStatus.ACTIVE, MandateStatus.PENDING]
            ):
                mandate_revoke(mandate=mandate, by=by, ip_address=ip_address, user_agent=user_agent)
        message_to_customer(
            kind="auto_renew_switched_on" if disclosure.enabled else "auto_renew_switched_off",
            customer=contract.customer,
            contract=contract,
            context={
                "contract_number": contract.number,
                "end_date": contract.end_date.isoformat(),
                "text": disclosure.text,
                "at": consent_time_text(consent, language=contract.customer.language),
                "portal_url": contract_page_url(contract),
            },
            dedupe_key=f"auto-renew-switched:{consent.pk}",
        )
    return consent

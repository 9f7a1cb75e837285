"""Saved payment methods (mandates) for auto-renewal, with consent (docs/payments.md).

- ``mandate_start``: the customer chose a recurring provider on their contract's page and
  agreed to the disclosure: the consent is recorded in the contracts' ledger (kind
  payment_method, the exact text, IP, user agent), a pending mandate is written, and the
  provider's page (save a card, sign an agreement) is returned to go to.
- ``mandate_event_apply``: a verified mandate event (notification or ``mandate_refresh``'s
  query) makes it active with the provider's ids, or failed. The browser's return is
  never a fact.
- ``mandate_revoke``: the customer withdraws the consent (recorded in the ledger); the
  mandate is revoked at once on our side (never charged again) and cancelled at the
  provider after the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.auto_renew_consent import payment_method_consent_record
from contracts.models import ConsentChannel, Contract, ContractStatus
from core.errors import DomainError
from core.money import money_text
from payments.mandate_states import mandate_change, mandate_lock
from payments.models import MandateStatus, PaymentMandate
from payments.providers import PROVIDER_CLASSES, provider_get
from payments.providers.base import ProviderError, ProviderEvent, RecurringProvider

from .provider_urls import notify_url

log = logging.getLogger(__name__)

S = MandateStatus
CONSENT_TEXT_VERSION = "payment-method-1"
# The status page asks the provider at most this often.
QUERY_EVERY = dt.timedelta(seconds=5)
# Keys of a mandate event never stored (the adapters send ids only; defence in depth).
_NEVER_STORED = ("number", "card_number", "pan", "cvc", "cvv", "exp", "secret")


def recurring_providers() -> list[RecurringProvider]:
    """The configured providers that can keep a payment method, in the customers' order."""
    found: list[RecurringProvider] = []
    for code in PROVIDER_CLASSES:
        provider = provider_get(code)
        if isinstance(provider, RecurringProvider) and provider.is_recurring_configured():
            found.append(provider)
    return found


def _recurring_get(code: str) -> RecurringProvider:
    for provider in recurring_providers():
        if provider.code == code:
            return provider
    raise DomainError(_("This payment method is not available."), code="provider_not_configured")


def mandate_disclosure(*, contract: Contract, provider_code: str) -> str:
    """The text the customer agrees to (in the active language): what is charged, when, and
    how to stop it. Recorded word for word with the consent."""
    method = {
        "card": _("the card you save with Stripe"),
        "alipay": _("your Alipay account, under an Alipay recurring-deduction agreement"),
    }.get(provider_code, provider_code)
    return _(
        "I authorise RenewDesk to charge %(method)s for each automatic renewal of contract "
        "%(number)s, on the first day of each new term: currently %(amount)s %(currency)s "
        "per term (%(period)s), or the renewal price announced in the renewal notice. I can "
        "withdraw this authorisation at any time on the contract's page in the portal "
        '("Automatic payment" → "Stop automatic payment"), or by switching automatic '
        'renewal off; a renewal invoice not charged can still be paid with "Pay now".'
    ) % {
        "method": method,
        "number": contract.number,
        "amount": money_text(contract.total_amount),
        "currency": contract.currency,
        "period": contract.get_billing_period_display(),
    }


def disclosure_digest(text: str) -> str:
    """A short fingerprint of the text shown, sent back with the form: consent is recorded
    only for the very text the customer saw."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def revoke_text(*, mandate: PaymentMandate) -> str:
    return _(
        "I withdraw my authorisation to charge %(method)s for the automatic renewals of "
        'this contract. Renewal invoices will have to be paid with "Pay now".'
    ) % {"method": mandate.display or mandate.provider}


def mandate_reference_new() -> str:
    return "MD" + uuid.uuid4().hex[:24].upper()


def mandate_start(
    *,
    contract: Contract,
    provider_code: str,
    by: Any,
    text: str,
    return_url: str,
    customer_email: str = "",
    language: str = "zh-hans",
    ip_address: str | None = None,
    user_agent: str = "",
    reference: str = "",
) -> tuple[PaymentMandate, str]:
    """Record the consent and a pending mandate, and start it at the provider. Returns the
    mandate and the provider URL to send the customer to (or a QR code's content for a
    provider that shows one). Refuses (``DomainError``) a provider not offered, a contract
    that is not running or without auto-renewal."""
    provider = _recurring_get(provider_code)
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.SCHEDULED):
        raise DomainError(_("Automatic payment can only be set up on a running contract."))
    if not contract.auto_renew:
        raise DomainError(_("Switch automatic renewal on first."))
    reference = reference or mandate_reference_new()
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        consent = payment_method_consent_record(
            contract=locked,
            enabled=True,
            by=by,
            channel=ConsentChannel.PORTAL,
            text=text,
            text_version=CONSENT_TEXT_VERSION,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        mandate = PaymentMandate.objects.create(
            reference=reference,
            customer_id=locked.customer_id,
            contract=locked,
            provider=provider_code,
            consent=consent,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
    # Outside the transaction: an HTTP call holds no lock.
    try:
        checkout = provider.mandate_start(
            reference=reference,
            customer_email=customer_email,
            return_url=return_url,
            notify_url=notify_url(provider_code),
            language=language,
        )
    except ProviderError as exc:
        log.warning("payments: %s refused mandate %s: %s", provider_code, reference, exc)
        with transaction.atomic():
            row = mandate_lock(mandate)
            if row.status == S.PENDING:
                mandate_change(row, S.FAILED, updates={"detail": str(exc)[:300]})
        raise DomainError(
            _("The provider could not be reached just now. Please try again in a moment."),
            code="provider_error",
        ) from exc
    return mandate, checkout.redirect_url or checkout.qr_code


def _provider_data(values: Mapping[str, str]) -> tuple[dict[str, str], str]:
    data = {
        str(k): str(v)
        for k, v in values.items()
        if k != "display" and not any(word in str(k).lower() for word in _NEVER_STORED)
    }
    return data, str(values.get("display", ""))[:100]


def mandate_event_apply(provider_code: str, event: ProviderEvent) -> str:
    """Apply a verified mandate event; returns a short result for the notification log.
    Idempotent under the mandate's row lock: a replay finds it already changed."""
    mandate = PaymentMandate.objects.filter(
        provider=provider_code, reference=event.reference
    ).first()
    if mandate is None:
        return f"ignored: no mandate {event.reference[:40]}"
    if event.outcome == "pending":
        return "pending"
    cancel_after: dict[str, str] | None = None
    with transaction.atomic():
        locked = mandate_lock(mandate)
        if event.outcome == "succeeded":
            if locked.status != S.PENDING:
                if locked.status == S.REVOKED and not locked.provider_data and event.mandate:
                    # Withdrawn while the provider was still setting it up: undo it there.
                    cancel_after, _display = _provider_data(event.mandate)
                return f"duplicate: mandate already {locked.status}"
            data, display = _provider_data(event.mandate)
            if not data:
                return "ignored: a mandate event without the provider's ids"
            mandate_change(
                locked,
                S.ACTIVE,
                updates={"provider_data": data, "display": display},
                payload={"event": event.event_id},
            )
            result = "mandate active"
        else:  # failed / closed
            if locked.status == S.PENDING:
                mandate_change(
                    locked, S.FAILED, updates={"detail": (event.detail or event.outcome)[:300]}
                )
                result = "mandate failed"
            elif locked.status == S.ACTIVE:
                # The provider ended it (card detached, agreement unsigned by the customer
                # in the provider's app): never charge it again.
                mandate_change(
                    locked,
                    S.REVOKED,
                    updates={"detail": (event.detail or _("ended at the provider"))[:300]},
                )
                result = "mandate ended at the provider"
            else:
                result = f"duplicate: mandate already {locked.status}"
    if cancel_after:
        _cancel_at_provider(provider_code, cancel_after, mandate.reference)
    return result


def mandate_refresh(mandate: PaymentMandate) -> PaymentMandate:
    """For the status page: ask the provider about a pending mandate (at most every few
    seconds) and apply its verified answer."""
    if mandate.status != S.PENDING or mandate.updated_at > timezone.now() - QUERY_EVERY:
        return mandate
    PaymentMandate.objects.filter(pk=mandate.pk).update(updated_at=timezone.now())
    try:
        provider = _recurring_get(mandate.provider)
        event = provider.mandate_query(reference=mandate.reference)
    except (ProviderError, DomainError) as exc:
        log.warning("payments: mandate %s could not be queried: %s", mandate.reference, exc)
        return mandate
    if event is not None and event.kind == "mandate":
        mandate_event_apply(mandate.provider, event)
    mandate.refresh_from_db()
    return mandate


def mandate_revoke(
    *,
    mandate: PaymentMandate,
    by: Any,
    channel: str = ConsentChannel.PORTAL,
    ip_address: str | None = None,
    user_agent: str = "",
) -> PaymentMandate:
    """The customer withdraws the consent: recorded in the ledger, the mandate revoked (no
    charge from now on), then cancelled at the provider. Revoking twice changes nothing."""
    cancel: dict[str, str] = {}
    with transaction.atomic():
        locked = mandate_lock(mandate)
        if locked.status not in (S.ACTIVE, S.PENDING):
            return locked
        withdrawal = None
        if locked.contract is not None:
            withdrawal = payment_method_consent_record(
                contract=locked.contract,
                enabled=False,
                by=by,
                channel=channel,
                text=revoke_text(mandate=locked),
                text_version=CONSENT_TEXT_VERSION,
                ip_address=ip_address,
                user_agent=user_agent,
            )
        mandate_change(locked, S.REVOKED, by=by, updates={"revoke_consent": withdrawal})
        cancel = dict(locked.provider_data)
    if cancel:
        _cancel_at_provider(locked.provider, cancel, locked.reference)
    return locked


def _cancel_at_provider(provider_code: str, data: Mapping[str, str], reference: str) -> None:
    try:
        provider = provider_get(provider_code)
        if isinstance(provider, RecurringProvider):
            provider.mandate_cancel(mandate=data)
    except ProviderError as exc:
        # Revoked on our side already (never charged again); the provider keeps a method
        # we will not use. Logged for the operator; the admin shows the mandate revoked.
        log.warning("payments: mandate %s not cancelled at the provider: %s", reference, exc)
        PaymentMandate.objects.filter(reference=reference).update(
            detail=f"not cancelled at the provider: {exc}"[:300]
        )


def mandate_for_contract(contract: Contract) -> PaymentMandate | None:
    """The active mandate that pays ``contract``'s renewals: one set up on this contract or
    on one it renews (the chain of predecessors). Never another contract's: the consent
    names the contract."""
    active = PaymentMandate.objects.filter(customer_id=contract.customer_id, status=S.ACTIVE)
    chain: list[int] = []
    current: Contract | None = contract
    while current is not None and len(chain) < 50:
        chain.append(current.pk)
        current = current.predecessor
    return active.filter(contract_id__in=chain).order_by("-activated_at", "-id").first()


def mandates_for_customer(*, customer: Any) -> list[PaymentMandate]:
    return list(PaymentMandate.objects.filter(customer=customer).order_by("-created_at", "-id"))

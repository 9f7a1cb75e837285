"""What every payment provider adapter offers (docs/payments.md).

An adapter speaks one provider's documented protocol through its SDK and knows nothing of
invoices or contracts: the services in ``payments`` call it with plain values and turn what
it returns into attempts, payments and refunds. Money is ``Decimal`` in the currency's major
unit (yuan, euro); the adapter converts to the provider's minor units (fen, cents).

A fact from a provider is a ``ProviderEvent``, and an adapter returns one only after it has
verified it: a notification whose signature, certificate or decryption fails raises
``NotificationRejected``, and nothing is read from an unverified body. The return from a
provider's page in the browser is never a fact: only notifications and queries are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

EventKind = Literal["payment", "refund", "mandate", "ignored"]
Outcome = Literal["succeeded", "failed", "pending", "closed"]


class NotificationRejected(Exception):
    """The notification is not authentic or not well formed: answer with the provider's
    failure response, record nothing. The message is for the log, never shown to a user."""


class ProviderError(Exception):
    """The provider refused a request or could not be reached. ``transient`` errors may be
    retried; the message is safe to log (it carries no key or card data)."""

    def __init__(self, message: str, *, transient: bool = False, code: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


@dataclass(frozen=True)
class Checkout:
    """What the customer is shown to pay (or to save a payment method).

    Exactly one of ``qr_code`` (the content to draw as a QR code: WeChat Pay's ``code_url``,
    Alipay's ``qr_code``) or ``redirect_url`` (Stripe Checkout, Alipay's page payment or
    agreement page) is set. ``provider_reference`` is the provider's id for the order or
    session, kept on the attempt.
    """

    provider_reference: str = ""
    qr_code: str = ""
    redirect_url: str = ""
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A verified fact from a provider (from a notification or a query).

    - ``event_id``: unique per provider and fact; the idempotency key of the notification log
      (WeChat Pay's notification id, Alipay's ``notify_id``, Stripe's event id; for a query,
      ``query:<transaction id>:<outcome>``).
    - ``reference``: our reference the provider echoes back: the attempt's ``out_trade_no``
      for a payment, the refund's ``out_refund_no`` for a refund, the mandate request's
      reference for a mandate.
    - ``transaction_id``: the provider's id of the money movement (unique per method); it
      becomes the ``Payment.reference``.
    - ``amount``/``currency``: what the provider says was paid or refunded (``None`` when the
      fact carries no amount, e.g. a failure).
    - ``mandate``: for ``kind == "mandate"``: what ``charge_off_session`` needs later (e.g.
      Stripe's customer and payment method ids, Alipay's agreement number), plus a
      ``display`` text such as "Visa •••• 4242" (never a full card number).
    """

    event_id: str
    kind: EventKind
    reference: str
    outcome: Outcome
    transaction_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    mandate: Mapping[str, str] = field(default_factory=dict)
    detail: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationReply:
    """The HTTP answer a provider expects to a notification."""

    status: int
    content_type: str
    body: bytes


@runtime_checkable
class PaymentProvider(Protocol):
    """One online payment provider. ``code`` is a ``billing.models.PaymentMethod`` value
    ("wechat_pay", "alipay", "card")."""

    code: str

    def is_configured(self) -> bool:
        """All settings present and key files readable: offered to customers."""
        ...

    def checkout_start(
        self,
        *,
        reference: str,
        amount: Decimal,
        currency: str,
        description: str,
        return_url: str,
        notify_url: str,
        customer_email: str = "",
        language: str = "zh-hans",
    ) -> Checkout:
        """Create the provider's order or session for ``reference`` (our out_trade_no,
        at most 32 characters of [A-Za-z0-9_-])."""
        ...

    def notification_verify(
        self, *, body: bytes, headers: Mapping[str, str]
    ) -> list[ProviderEvent]:
        """Verify a notification exactly as the provider documents it (signature, timestamp,
        decryption) and return its facts; raise ``NotificationRejected`` otherwise.
        ``headers`` are case-insensitive HTTP headers (``request.headers``)."""
        ...

    def notification_reply(self, *, accepted: bool) -> NotificationReply:
        """What to answer: ``accepted`` False makes the provider retry later."""
        ...

    def payment_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        """Ask the provider about ``reference``'s order; None when it does not know it.
        ``provider_reference`` is ``Checkout.provider_reference`` as kept on the attempt
        (Stripe's session id: an exact answer); adapters that look orders up by our
        reference ignore it."""
        ...

    def refund_start(
        self,
        *,
        payment_reference: str,
        transaction_id: str,
        refund_reference: str,
        amount: Decimal,
        total: Decimal,
        currency: str,
        reason: str,
        notify_url: str,
    ) -> ProviderEvent:
        """Ask for ``amount`` back on the payment ``transaction_id`` (of ``total``).
        Returns a refund event: ``pending`` until the provider's refund notification (or a
        query) says ``succeeded`` or ``failed``; some providers answer ``succeeded`` at once."""
        ...

    def refund_query(
        self, *, refund_reference: str, payment_reference: str
    ) -> ProviderEvent | None: ...


@runtime_checkable
class RecurringProvider(Protocol):
    """A provider that can keep a payment method for auto-renewal (Stripe's saved card,
    Alipay's recurring-deduction agreement) and charge it without the customer present."""

    code: str

    def is_recurring_configured(self) -> bool:
        """Saving a method is offered: the provider is configured for payments and for
        keeping methods (Alipay also needs its agreement's sign scene)."""
        ...

    def mandate_start(
        self,
        *,
        reference: str,
        customer_email: str,
        return_url: str,
        notify_url: str,
        language: str = "zh-hans",
    ) -> Checkout:
        """Send the customer to the provider to save a method or sign an agreement; the
        result arrives as a ``mandate`` event (notification or ``mandate_query``)."""
        ...

    def mandate_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None: ...

    def charge_off_session(
        self,
        *,
        mandate: Mapping[str, str],
        reference: str,
        amount: Decimal,
        currency: str,
        description: str,
        notify_url: str,
    ) -> ProviderEvent:
        """Charge the saved method. ``succeeded``/``failed`` when the provider answers at
        once, ``pending`` when its notification will tell."""
        ...

    def mandate_cancel(self, *, mandate: Mapping[str, str]) -> None:
        """Detach the card or unsign the agreement (the customer withdrew consent)."""
        ...

"""What the Stripe adapter's tests share: the adapter against the fake Stripe API, and
the calls each test makes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from payments.providers.base import ProviderEvent
from payments.providers.stripe_checkout import StripeProvider
from tests.payments.fakes.stripe_api import FakeStripe, fake_stripe  # noqa: F401

RETURN_URL = "https://renew.example.com/portal/pay/return/"


@pytest.fixture
def stripe_provider(fake_stripe: FakeStripe) -> StripeProvider:  # noqa: F811
    return StripeProvider(fake_stripe.config)


def start_checkout(
    provider: StripeProvider,
    reference: str = "PAY-0001",
    amount: str = "1234.50",
    currency: str = "CNY",
    **kwargs: Any,
) -> Any:
    return provider.checkout_start(
        reference=reference,
        amount=Decimal(amount),
        currency=currency,
        description="Renewal HT-2026-000123",
        return_url=RETURN_URL,
        notify_url="https://renew.example.com/payments/notify/card/",
        **kwargs,
    )


def verify(
    provider: StripeProvider, fake: FakeStripe, event: dict[str, Any]
) -> list[ProviderEvent]:
    body, headers = fake.signed(event)
    return provider.notification_verify(body=body, headers=headers)


def charge(
    provider: StripeProvider, mandate: dict[str, str], reference: str = "REN-0001"
) -> ProviderEvent:
    return provider.charge_off_session(
        mandate=mandate,
        reference=reference,
        amount=Decimal("880.00"),
        currency="CNY",
        description="Auto-renewal HT-2026-000124",
        notify_url="",
    )

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.services import invoice_issue
from payments import providers
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    UserFactory,
)
from tests.payments import fake_provider


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def fake_world(monkeypatch, settings):
    """The three providers replaced by the in-test fake, all configured."""
    for code, path in fake_provider.FAKE_CLASSES.items():
        monkeypatch.setitem(providers.PROVIDER_CLASSES, code, path)
    settings.PAYMENT_PROVIDERS = {code: {"FAKE": "1"} for code in fake_provider.FAKE_CLASSES}
    settings.PAYMENTS_PUBLIC_URL = "https://renew.example.com"
    return fake_provider.world_reset()


@pytest.fixture
def customer(db, manager):
    return CustomerFactory(account_manager=manager, name="Acme Ltd", language="en")


@pytest.fixture
def portal_user(customer):
    user = UserFactory(username="ann", email="ann@acme.example", language="en")
    PortalAccountFactory(user=user, customer=customer)
    return user


@pytest.fixture
def customer_client(client, portal_user):
    client.force_login(portal_user)
    return client


@pytest.fixture
def invoice(customer):
    contract = ContractFactory(customer=customer)
    return invoice_issue(
        customer=customer,
        contract=contract,
        amount=Decimal("3000.00"),
        description="Support",
        due_date=dt.date(2030, 1, 31),
    )

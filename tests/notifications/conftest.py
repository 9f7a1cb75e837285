from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import ContactFactory, ContractFactory, CustomerFactory, StaffFactory

# The SMS providers' fakes and an SMS message (tests/notifications/test_sms_*.py).
from .sms_fixtures import aliyun_fake, sms_message, tencent_fake  # noqa: F401

AS_OF = dt.date(2026, 6, 1)


@pytest.fixture
def make_contract(db):
    """An active contract ending ``days`` after AS_OF for a customer with an email contact."""

    def make(days: int = 30, *, language: str = "en", as_of: dt.date = AS_OF, **kwargs):
        manager = kwargs.pop("manager", None) or StaffFactory()
        customer = kwargs.pop("customer", None) or CustomerFactory(
            account_manager=manager,
            language=language,
            notify_email=kwargs.pop("notify_email", True),
            notify_in_app=kwargs.pop("notify_in_app", False),
            notify_sms=kwargs.pop("notify_sms", False),
        )
        if not customer.contacts.exists():
            ContactFactory(customer=customer, phone="+8613800000000")
        return ContractFactory(
            customer=customer,
            start_date=kwargs.pop("start_date", as_of - dt.timedelta(days=300)),
            end_date=as_of + dt.timedelta(days=days),
            **kwargs,
        )

    return make

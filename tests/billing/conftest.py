from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.services import invoice_issue
from tests.factories import ContractFactory, CustomerFactory

SECRET = "whsec_test_secret"


@pytest.fixture
def webhook_secret(settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "PAYMENT_WEBHOOK_SECRET": SECRET}
    return SECRET


@pytest.fixture
def invoice(db, manager):
    customer = CustomerFactory(account_manager=manager, name="杭州测试有限公司")
    contract = ContractFactory(customer=customer)
    return invoice_issue(
        customer=customer,
        contract=contract,
        amount=Decimal("3000.00"),
        description="Support",
        due_date=dt.date.today() + dt.timedelta(days=14),
    )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Generated PDFs go to a temporary folder, not the project's media/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")

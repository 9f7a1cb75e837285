"""Labels of the contract events payments writes (renewals/event_labels.py), on the staff
contract timeline and in the customer's history in the portal, in both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from contracts.services import event_record
from payments.mandate_states import EVENT_KIND as MANDATE_KINDS
from payments.refund_states import EVENT_KIND as REFUND_KINDS
from renewals.event_labels import CUSTOMER_LABELS, INTERNAL_KINDS, STAFF_LABELS
from tests.factories import ContractFactory, CustomerFactory, PortalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

PAYMENT_KINDS = sorted(
    {
        *REFUND_KINDS.values(),
        *MANDATE_KINDS.values(),
        "auto_charge_failed",  # payments/services/auto_charge.py
        "payment_consent_given",  # contracts/auto_renew_consent.py, for payments' mandates
        "payment_consent_withdrawn",
    }
)


@pytest.mark.parametrize("kind", PAYMENT_KINDS)
def test_every_kind_payments_writes_has_a_label_in_both_languages(kind):
    assert kind in STAFF_LABELS
    assert kind in CUSTOMER_LABELS or kind in INTERNAL_KINDS
    for table in (STAFF_LABELS, CUSTOMER_LABELS):
        if kind not in table:
            continue
        with translation.override("en"):
            english = str(table[kind])
        with translation.override("zh-hans"):
            chinese = str(table[kind])
        assert english != chinese, f"{kind}: no zh-hans translation"


@pytest.fixture
def contract(manager):
    customer = CustomerFactory(account_manager=manager)
    contract = ContractFactory(customer=customer, owner=manager)
    for kind in ("provider_refund_succeeded", "provider_refund_failed", "auto_charge_failed"):
        event_record(contract=contract, kind=kind, payload={"invoice": "INV-1"})
    return contract


def test_the_staff_timeline_shows_the_payments_events_in_chinese(client, manager, contract):
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert "支付渠道已确认退款" in html
    assert "支付渠道拒绝退款：需人工退款" in html
    assert "自动扣款失败：转入逾期催款" in html
    assert "Provider refund succeeded" not in html


def test_the_customer_sees_the_refund_and_the_failed_charge_but_not_the_refused_refund(
    client, contract
):
    user = UserFactory(language="en")
    PortalAccountFactory(user=user, customer=contract.customer)
    client.force_login(user)
    html = client.get(reverse("portal:contract-detail", args=[contract.pk])).content.decode()
    assert "Refund sent back to your payment method" in html
    assert "Automatic payment did not go through: please pay online" in html
    assert "Refund refused" not in html and "Provider refund failed" not in html

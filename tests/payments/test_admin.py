# ruff: noqa: F811 - the fixtures imported from recurring_fixtures are named as parameters
"""The read-only admin of provider refunds, saved payment methods and automatic charges
(payments/admin.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from billing.services import credit_note_issue
from payments.mandate_states import mandate_change, mandate_lock
from payments.models import MandateCharge, MandateStatus, PaymentMandate, ProviderRefund
from payments.services.refunds import credit_note_refunds_start
from tests.payments.recurring_fixtures import fake_bank, paid_online, queued  # noqa: F401

pytestmark = pytest.mark.django_db


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def refund(fake_bank, queued, invoice):
    paid_online(invoice, method="card", reference="pi_1")
    note = credit_note_issue(
        customer=invoice.customer, contract=invoice.contract, amount=Decimal("500"), reason="x"
    )
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    return refund


@pytest.fixture
def mandate(invoice):
    mandate = PaymentMandate.objects.create(
        reference="MDADMIN1", customer=invoice.customer, contract=invoice.contract, provider="card"
    )
    with transaction.atomic():
        mandate_change(
            mandate_lock(mandate),
            MandateStatus.ACTIVE,
            updates={"provider_data": {"customer": "cus_1"}, "display": "Visa •••• 4242"},
        )
    MandateCharge.objects.create(invoice=invoice, mandate=mandate, answer="failed")
    return mandate


def test_the_refund_list_links_the_credit_note_invoice_and_customer(admin_client, refund):
    page = admin_client.get(_url(ProviderRefund, "changelist"), {"status": "pending"})
    html = page.content.decode()
    assert page.status_code == 200
    assert refund.reference in html
    assert _url(type(refund.credit_note), "change", refund.credit_note.pk) in html
    assert _url(type(refund.payment.invoice), "change", refund.payment.invoice_id) in html
    customer = refund.credit_note.customer
    assert _url(type(customer), "change", customer.pk) in html
    assert (
        refund.reference
        not in admin_client.get(
            _url(ProviderRefund, "changelist"), {"status": "succeeded"}
        ).content.decode()
    )


def test_the_mandate_list_filters_by_status_and_provider(admin_client, mandate):
    shown = admin_client.get(_url(PaymentMandate, "changelist"), {"provider": "card"})
    assert "Visa •••• 4242" in shown.content.decode()
    assert _url(type(mandate.contract), "change", mandate.contract_id) in shown.content.decode()
    hidden = admin_client.get(_url(PaymentMandate, "changelist"), {"status": "revoked"})
    assert "Visa •••• 4242" not in hidden.content.decode()


def test_the_charge_list_filters_by_the_providers_answer(admin_client, mandate, invoice):
    failed = admin_client.get(_url(MandateCharge, "changelist"), {"answer": "failed"})
    assert invoice.number in failed.content.decode()
    ok = admin_client.get(_url(MandateCharge, "changelist"), {"answer": "succeeded"})
    assert invoice.number not in ok.content.decode()


@pytest.mark.parametrize("model", [ProviderRefund, PaymentMandate, MandateCharge])
def test_nothing_can_be_added_changed_or_deleted(admin_client, refund, mandate, model):
    obj = model.objects.first()
    assert admin_client.get(_url(model, "add")).status_code == 403
    change = admin_client.get(_url(model, "change", obj.pk))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()

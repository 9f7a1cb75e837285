# ruff: noqa: F811 - the fixtures imported from recurring_fixtures are named as parameters
"""Staff see the refunds sent back through a provider (invoice page, credit note list) and a
customer's saved payment methods (customer page): payments/templatetags/payments_tags.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import dateformat, timezone

from billing.services import credit_note_issue
from contracts.auto_renew_consent import payment_method_consent_record
from payments.mandate_states import mandate_change, mandate_lock
from payments.models import MandateStatus, PaymentMandate
from payments.services.notifications import notification_process
from payments.services.refunds import credit_note_refunds_start, refund_submit
from tests.payments.recurring_fake import FakeRecurringProvider
from tests.payments.recurring_fixtures import fake_bank, paid_online, queued  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(fake_bank, queued, invoice):
    paid_online(invoice, method="card", reference="pi_1")
    return credit_note_issue(
        customer=invoice.customer, contract=invoice.contract, amount=Decimal("500"), reason="x"
    )


def test_the_invoice_page_shows_a_pending_provider_refund(client, manager, invoice, note):
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    client.force_login(manager)
    html = client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert 'id="provider-refunds"' in html
    assert refund.reference in html and note.number in html
    assert 'data-refund-status="pending"' in html


def test_the_credit_note_list_shows_each_notes_refunds_and_warns_while_pending(
    client, manager, note
):
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    client.force_login(manager)
    html = client.get(reverse("billing:credit-notes")).content.decode()
    assert refund.reference in html
    assert "on its way back through the payment provider" in html

    refund_submit(refund_id=refund.pk)
    body, headers = FakeRecurringProvider().refund_notification(refund.reference, "succeeded")
    assert notification_process("card", body, headers).accepted
    html = client.get(reverse("billing:credit-notes")).content.decode()
    assert 'data-refund-status="succeeded"' in html
    assert "on its way back through the payment provider" not in html


def test_a_page_without_refunds_shows_no_refund_table(client, manager, invoice):
    client.force_login(manager)
    html = client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert "data-provider-refunds" not in html


def test_the_customer_page_lists_saved_methods_with_status_and_consent_date(
    client, manager, customer, invoice, portal_user
):
    consent = payment_method_consent_record(
        contract=invoice.contract,
        enabled=True,
        by=portal_user,
        channel="portal",
        text="charge my card",
        text_version="payment-method-1",
    )
    mandate = PaymentMandate.objects.create(
        reference="MDSTAFF1",
        customer=customer,
        contract=invoice.contract,
        provider="card",
        consent=consent,
    )
    with transaction.atomic():
        mandate_change(
            mandate_lock(mandate),
            MandateStatus.ACTIVE,
            updates={"provider_data": {"customer": "cus_1"}, "display": "Visa •••• 4242"},
        )
    client.force_login(manager)
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="payment-methods"' in html
    assert "Visa •••• 4242" in html and 'data-mandate-status="active"' in html
    assert dateformat.format(timezone.localtime(consent.at), "j M Y, H:i") in html
    assert invoice.contract.number in html
    assert "cus_1" not in html


def test_a_customer_without_saved_methods_says_so(client, manager, customer):
    client.force_login(manager)
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "No saved payment method." in html

from __future__ import annotations

import pytest

from core.errors import DomainError
from notifications.models import Message, MessageTemplate
from notifications.selectors import inbox_for_customer, renewal_notice_delivered
from notifications.services import message_enqueue, message_mark_read


def enqueue(customer, **kw):
    args = {
        "recipient_customer": customer,
        "channel": "email",
        "kind": "care_birthday",
        "language": customer.language,
        "context": {"customer_name": customer.name},
        "dedupe_key": "birthday-1",
    }
    args.update(kw)
    return message_enqueue(**args)


def test_it_renders_the_file_template_in_the_recipients_language(make_contract):
    customer = make_contract(30).customer

    message = enqueue(customer)

    assert message.subject == "Happy birthday from RenewDesk"
    assert customer.name in message.body_text
    assert message.to_address == customer.contacts.get().email
    assert message.status == "pending"


def test_it_prefers_an_admin_edited_template(make_contract):
    customer = make_contract(30).customer
    MessageTemplate.objects.create(
        kind="care_birthday",
        language="en",
        channel="email",
        subject="Hello {{ customer_name }}",
        body_text="Custom & plain",
        body_html="<p>Custom</p>",
    )

    message = enqueue(customer)

    assert message.subject == f"Hello {customer.name}"
    assert message.body_text.strip() == "Custom & plain"
    assert message.body_html == "<p>Custom</p>"


def test_it_returns_the_existing_message_for_a_repeated_dedupe_key(make_contract):
    customer = make_contract(30).customer

    first = enqueue(customer)
    second = enqueue(customer)

    assert first.pk == second.pk
    assert Message.objects.count() == 1


def test_it_refuses_a_kind_without_any_template(make_contract):
    customer = make_contract(30).customer
    with pytest.raises(DomainError, match="no_such_kind"):
        enqueue(customer, kind="no_such_kind")


def test_an_in_app_message_is_in_the_inbox_at_once_and_can_be_marked_read(make_contract):
    customer = make_contract(30).customer
    message = enqueue(customer, channel="in_app")

    assert list(inbox_for_customer(customer=customer)) == [message]
    message_mark_read(message=message, customer=customer)
    assert message.read_at is not None


def test_nobody_else_can_mark_a_message_read(make_contract):
    customer = make_contract(30).customer
    other = make_contract(30).customer
    message = enqueue(customer, channel="in_app")
    with pytest.raises(DomainError):
        message_mark_read(message=message, customer=other)


def test_the_renewal_notice_counts_as_delivered_only_once_sent_for_the_current_term(
    make_contract, smtp_server
):
    from lifecycle.reminder_sweep import reminders_sweep
    from notifications.services import outbox_deliver_due

    from .conftest import AS_OF

    contract = make_contract(30)
    reminders_sweep(as_of=AS_OF)
    assert not renewal_notice_delivered(contract=contract)

    outbox_deliver_due()
    assert renewal_notice_delivered(contract=contract)

    contract.end_date = contract.end_date.replace(year=contract.end_date.year + 1)
    assert not renewal_notice_delivered(contract=contract)

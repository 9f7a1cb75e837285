"""The console and file backends of `make run`: the SMS is "sent" (to the console or a
file), never "delivered": the poll never asks about it and no receipt can make it so."""

from __future__ import annotations

import pytest

from notifications.channels.sms_receipts import SmsReceipt
from notifications.models import MessageStatus
from notifications.selectors import renewal_notice_delivered
from notifications.services import message_deliver, sms_receipts_poll, sms_receipts_record

from .sms_fixtures import PHONE

S = MessageStatus
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("backend", ["console", "file"])
def test_a_console_or_file_sms_stays_sent_whatever_receipts_say(
    backend, sms_message, settings, tmp_path
):
    settings.NOTIFICATIONS_SMS_BACKEND = backend
    settings.NOTIFICATIONS_SMS_FILE = str(tmp_path / "sms.jsonl")
    message = sms_message()

    assert message_deliver(message_id=message.pk) == "sent"
    message.refresh_from_db()
    assert (message.status, message.provider) == (S.SENT, backend)

    # no template is needed: the rendered text goes to the console / file
    assert sms_receipts_poll() == {}
    forged = [
        SmsReceipt(p, message.provider_message_id, PHONE, delivered=True)
        for p in ("aliyun", "tencent", backend)
    ]
    assert sms_receipts_record(forged) == {"unknown": 3}
    message.refresh_from_db()
    assert message.status == S.SENT and message.delivered_at is None


@pytest.mark.parametrize("backend", ["console", "file"])
def test_the_poll_never_asks_a_provider_about_a_console_or_file_sms(
    backend, aliyun_fake, tencent_fake, sms_message, settings, tmp_path
):
    """Both providers configured and willing to answer: the console / file SMS is not
    theirs, so it is never asked about and stays "sent"."""
    settings.NOTIFICATIONS_SMS_BACKEND = backend
    settings.NOTIFICATIONS_SMS_FILE = str(tmp_path / "sms.jsonl")
    message = sms_message()
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    tencent_fake.report(message.provider_message_id, delivered=True, phone=PHONE)

    assert sms_receipts_poll() == {}
    assert sms_receipts_poll() == {}

    assert aliyun_fake.queries == [] and tencent_fake.pulls == 0
    message.refresh_from_db()
    assert message.status == S.SENT and message.delivered_at is None


def test_an_sms_renewal_notice_counts_only_with_a_delivery_receipt(make_contract):
    from notifications.models import Message

    contract = make_contract(30)
    message = Message.objects.create(
        customer=contract.customer,
        contract=contract,
        to_address=PHONE,
        channel="sms",
        kind="renewal_reminder",
        template_kind="renewal_reminder",
        language="en",
        dedupe_key="notice",
        term_end=contract.end_date,
        offset_days=30,
        status=S.SENT,
        provider="aliyun",
        provider_message_id="1^0",
    )
    # Handed to the provider, no receipt yet: not known to have reached the phone.
    assert not renewal_notice_delivered(contract=contract)

    sms_receipts_record([SmsReceipt("aliyun", "1^0", PHONE, delivered=False, code="MK:0001")])
    message.refresh_from_db()
    assert message.status == S.UNDELIVERED
    assert not renewal_notice_delivered(contract=contract)

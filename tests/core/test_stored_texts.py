"""A credit note's reason written by the code is shown in the reader's language: the
customer on the portal and staff members may read different languages (core.stored_texts)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from billing.services import credit_note_issue
from core.stored_texts import credit_note_reason_display
from tests.factories import ContractFactory, CustomerFactory, PortalAccountFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "english", "chinese"),
    [
        (
            "退还已预付未使用服务的费用，合同 HT-2026-000001，自 2026-04-09 起",
            "Refund of prepaid unused service, contract HT-2026-000001, from 2026-04-09",
            "退还已预付未使用服务的费用，合同 HT-2026-000001，自 2026-04-09 起",
        ),
        (
            "Service after the early termination of contract HT-2026-000002",
            "Service after the early termination of contract HT-2026-000002",
            "合同 HT-2026-000002 提前终止后的服务",
        ),
        (
            "退款：撤回合同 HT-2026-000003",
            "Refund: withdrawal from contract HT-2026-000003",
            "退款：撤回合同 HT-2026-000003",
        ),
        (
            "Refund: automatic renewal of contract HT-2026-000004 undone",
            "Refund: automatic renewal of contract HT-2026-000004 undone",
            "退款：撤销合同 HT-2026-000004 的自动续约",
        ),
    ],
)
def test_a_reason_the_code_wrote_reads_in_the_active_language(stored, english, chinese):
    with translation.override("en"):
        assert credit_note_reason_display(stored) == english
    with translation.override("zh-hans"):
        assert credit_note_reason_display(stored) == chinese


@pytest.mark.parametrize("typed", ["Goodwill after the outage", "服务中断补偿", ""])
def test_a_reason_someone_typed_is_shown_as_typed(typed):
    with translation.override("en"):
        assert credit_note_reason_display(typed) == typed
    with translation.override("zh-hans"):
        assert credit_note_reason_display(typed) == typed


def test_the_portal_shows_a_chinese_stored_reason_in_english(client):
    customer = CustomerFactory(language="zh-hans")
    contract = ContractFactory(customer=customer)
    note = credit_note_issue(
        customer=customer,
        contract=contract,
        amount=Decimal("100.00"),
        reason=f"退款：撤回合同 {contract.number}",
    )
    account = PortalAccountFactory(customer=customer, user__language="zh-hans")
    client.force_login(account.user)
    client.cookies.load({"django_language": "en"})

    html = client.get(reverse("portal:credit-note", kwargs={"pk": note.pk})).content.decode()

    assert f"Refund: withdrawal from contract {contract.number}" in html
    assert "退款" not in html
    note.refresh_from_db()
    assert note.reason == f"退款：撤回合同 {contract.number}"  # the record is unchanged


def test_the_staff_credit_note_list_shows_an_english_stored_reason_in_chinese(client):
    manager = StaffFactory(language="zh-hans")
    customer = CustomerFactory(account_manager=manager, language="en")
    contract = ContractFactory(customer=customer, owner=manager)
    credit_note_issue(
        customer=customer,
        contract=contract,
        amount=Decimal("100.00"),
        reason=f"Refund: automatic renewal of contract {contract.number} undone",
    )
    client.force_login(manager)
    client.cookies.load({"django_language": "zh-hans"})

    html = client.get(reverse("billing:credit-notes")).content.decode()

    assert f"退款：撤销合同 {contract.number} 的自动续约" in html

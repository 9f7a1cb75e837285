"""Reasons written by the code are shown in the reader's language: a credit note's (the
customer on the portal and staff members may read different languages) and a contract
event's (staff members in either language read the timeline); core.stored_texts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from billing.services import credit_note_issue
from contracts.services import event_record
from core.stored_texts import contract_event_reason_display, credit_note_reason_display
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


# --- Contract event reasons (the staff timeline) --------------------------------------------


@pytest.mark.parametrize(
    ("stored", "english", "chinese"),
    [
        ("报价已修改", "Quote revised", "报价已修改"),
        ("Renewal lost", "Renewal lost", "续约流失"),
        (
            "客户撤销了自动续约",
            "Automatic renewal undone by the customer",
            "客户撤销了自动续约",
        ),
        (
            "首个合同期满后转为不定期合同：客户可随时终止，提前通知期最长 3 个月。",
            "Continues for an indefinite period after the initial term: the customer may end "
            "it at any time, with at most 3 month(s) notice.",
            "首个合同期满后转为不定期合同：客户可随时终止，提前通知期最长 3 个月。",
        ),
        # typed by a manager (voiding a contract): as typed
        ("客户要求作废", "客户要求作废", "客户要求作废"),
        ("", "", ""),
    ],
)
def test_a_contract_event_reason_reads_in_the_active_language(stored, english, chinese):
    with translation.override("en"):
        assert contract_event_reason_display(stored) == english
    with translation.override("zh-hans"):
        assert contract_event_reason_display(stored) == chinese


def test_the_staff_timeline_shows_a_chinese_stored_reason_in_english(client):
    manager = StaffFactory(language="en")
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager), owner=manager)
    event_record(contract=contract, kind="note", reason="客户在撤回期内撤回合同")
    client.force_login(manager)
    client.cookies.load({"django_language": "en"})

    html = client.get(reverse("contracts:detail", kwargs={"pk": contract.pk})).content.decode()

    assert "Withdrawal by the customer within the withdrawal period" in html
    assert "客户在撤回期内撤回合同" not in html

"""A staff task is written once, for one person: its title and details are in the
ASSIGNEE's language, whatever language is active when it is made (the customer's, when
the customer acted in the portal; the acting colleague's; the worker's default).
core.services.in_language_of.

Each case makes its task while one language is active for an assignee who reads the
other, both ways round, and looks for a word of its text in each language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest
import time_machine
from django.utils import translation

from billing.models import Invoice
from billing.services import credit_note_issue, invoice_issue, payment_record
from billing.services.dunning import invoice_dunning_send
from core.models import Task
from customers.models import Customer
from insights.feedback import feedback_submit
from insights.services import feedback_assign, interaction_log
from lifecycle.customer_exits import contract_exit, exit_preview
from notifications.models import Message
from notifications.services.failures import message_alert_failure
from payments.models import ProviderRefund
from payments.providers.base import ProviderEvent
from payments.services.refunds import manual_refund_task, refund_event_apply
from renewals.services.cases import case_open, case_record_intent
from retention import services as retention
from retention.models import RetentionOffer
from retention.services.request_steps import task_key
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
# 10:00 in Shanghai on TODAY (a Tuesday).
NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


class World:
    """The assignee, their customer (who reads the active language), a colleague."""

    def __init__(self, *, active: str, assignee_language: str) -> None:
        self.active = active
        self.assignee: Any = StaffFactory(language=assignee_language)
        self.colleague: Any = StaffFactory(language=active)
        self.customer: Any = CustomerFactory(
            account_manager=self.assignee, language=active, tier="A"
        )
        ContactFactory(customer=self.customer, email=f"buyer-{self.customer.code}@example.com")
        self.portal_user = PortalAccountFactory(customer=self.customer, user__language=active).user

    def contract(self, **kw: Any) -> Any:
        fields: dict[str, Any] = dict(
            customer=self.customer,
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
            total_amount=Decimal("12000.00"),
            annual_value=Decimal("12000.00"),
        )
        fields.update(kw)
        return ContractFactory(**fields)

    def invoice(self, amount: str = "100.00") -> Invoice:
        return invoice_issue(
            customer=self.customer,
            amount=Decimal(amount),
            due_date=dt.date(2026, 2, 1),
            issue_date=dt.date(2026, 1, 15),
        )

    def acting(self) -> Any:
        """The active language while the service runs."""
        return translation.override(self.active)


# Each case: set up outside the active language, act inside it, return the task.


def dunning(w: World) -> Task:
    invoice = w.invoice()
    Invoice.objects.filter(pk=invoice.pk).update(dunning_level=1)  # the call comes at 2
    with w.acting():
        assert invoice_dunning_send(invoice_id=invoice.pk, as_of=TODAY)
    return Task.objects.get(dedupe_key=f"dunning-call:{invoice.pk}:2")


def over_payment(w: World) -> Task:
    invoice = w.invoice()
    with w.acting():
        payment = payment_record(
            invoice=invoice,
            amount=Decimal("150.00"),
            method="bank_transfer",
            reference="OVER-1",
            by=w.colleague,
        )
    return Task.objects.get(dedupe_key=f"overpayment:{payment.pk}")


def manual_refund(w: World) -> Task:
    note = credit_note_issue(customer=w.customer, amount=Decimal("50.00"), reason="Goodwill")
    with w.acting():
        manual_refund_task(note=note, amount=Decimal("50.00"))
    return Task.objects.get(dedupe_key__startswith=f"refund-manual:{note.pk}:")


def refund_failed(w: World) -> Task:
    """The provider says a refund failed (a webhook: no one's language in particular)."""
    payment = payment_record(
        invoice=w.invoice(), amount=Decimal("100.00"), method="card", reference="pi_lang"
    )
    note = credit_note_issue(customer=w.customer, amount=Decimal("40.00"), reason="Goodwill")
    ProviderRefund.objects.create(
        reference="RF-LANG-1", provider="card", payment=payment, credit_note=note, amount="40.00"
    )
    event = ProviderEvent(
        event_id="rf-lang-failed",
        kind="refund",
        reference="RF-LANG-1",
        outcome="failed",
        detail="card expired",
    )
    with w.acting():
        assert refund_event_apply("card", event) == "refund failed"
    return Task.objects.get(dedupe_key__startswith=f"refund-manual:{note.pk}:")


def message_failed(w: World) -> Task:
    message = Message.objects.create(
        channel="email",
        kind="care_birthday",
        template_kind="care_birthday",
        language=w.active,
        to_address="buyer@example.com",
        dedupe_key="task-language-failed",
        customer=w.customer,
        status="failed",
        last_error="550 No such user",
    )
    with w.acting():
        message_alert_failure(message=message)
    return Task.objects.get(dedupe_key=f"message-failed:{message.pk}")


def feedback(w: World) -> Task:
    with w.acting():
        item = feedback_submit(
            customer=w.customer,
            by=w.portal_user,
            category="complaint",
            severity="high",
            subject="Invoices late",
            body="Again.",
        )
    return Task.objects.get(dedupe_key=f"feedback:{item.pk}")


def feedback_assigned(w: World) -> Task:
    other: Any = StaffFactory(language=w.active)
    item = feedback_submit(
        customer=cast(Customer, CustomerFactory(account_manager=other)),
        by=None,
        category="question",
        severity="normal",
        subject="Invoices late",
        body="Again.",
    )
    with w.acting():
        feedback_assign(feedback=item, assignee=w.assignee, by=w.colleague)
    return Task.objects.get(dedupe_key=f"feedback:{item.pk}:assignee:{w.assignee.pk}")


def interaction(w: World) -> Task:
    with w.acting():
        logged = interaction_log(
            customer=w.customer,
            by=w.colleague,
            kind="call",
            summary="Asked about the renewal.",
            next_follow_up=dt.date(2026, 3, 20),
        )
    assert logged.follow_up_task is not None
    return logged.follow_up_task


def retention_offer(w: World) -> Task:
    RetentionOffer.objects.create(
        code="SAVE20",
        title="20 % off",
        kind="discount",
        discount_percent=Decimal("20"),
        terms_count=1,
        reasons=[],
        tiers=[],
    )
    contract = w.contract(
        notice_period_days=30, etf_kind="percent_remaining", etf_value=Decimal("20")
    )
    request = retention.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=w.portal_user
    )
    assert request.offer is not None
    with w.acting():
        retention.cancellation_offer_accept(request=request, by=w.portal_user)
    return Task.objects.get(dedupe_key=f"retention-grant-{request.pk}")


def customer_exit(w: World) -> Task:
    contract = w.contract()  # no term invoice: what was paid is not known
    preview = exit_preview(contract=contract, today=TODAY)
    assert preview is not None and not preview.paid_known
    with w.acting():
        contract_exit(
            contract=contract,
            preview=preview,
            kind="withdrawn",
            reason="Withdrawal",
            refund_reason="Refund",
            consent_text="I withdraw.",
            text_version="withdrawal-test",
            by=w.portal_user,
            ip_address=None,
            user_agent="",
        )
    return Task.objects.get(dedupe_key=f"withdrawn-paid-check:{contract.pk}")


def cancellation_request(w: World) -> Task:
    contract = w.contract(notice_period_days=30)
    with w.acting():
        request = retention.cancellation_submit(
            contract=contract, kind="early_termination", reason="price", by=w.portal_user
        )
    return Task.objects.get(dedupe_key=task_key(request))


def renewal_intent(w: World) -> Task:
    case, _created = case_open(contract=w.contract())
    with w.acting():
        case_record_intent(case=case, intent="undecided", channel="portal", by=w.portal_user)
    return Task.objects.get(dedupe_key__startswith=f"renewal-intent:{case.pk}:undecided:")


# (make the task, the field to read, a word of it in English, the same in Chinese)
CASES: list[tuple[Callable[[World], Task], str, str, str]] = [
    (dunning, "title", "is overdue", "已逾期"),
    (over_payment, "title", "Over-payment", "多付"),
    (manual_refund, "title", "Pay back", "人工退还"),
    (refund_failed, "title", "Pay back", "人工退还"),
    (refund_failed, "details", "refund RF-LANG-1 failed", "退款 RF-LANG-1 失败"),
    (message_failed, "title", "could not be delivered", "无法送达"),
    (feedback, "title", "Answer ", "答复 "),
    (feedback_assigned, "title", "Answer ", "答复 "),
    (interaction, "title", "Follow up with", "跟进"),
    (retention_offer, "title", "Apply the accepted offer", "落实已接受的优惠"),
    (customer_exit, "title", "Check what was paid", "核实合同"),
    (customer_exit, "details", "Withdrawal by the customer", "撤回期内"),
    (renewal_intent, "title", "is undecided", "尚未决定"),
    (cancellation_request, "title", "Cancellation request", "解约申请"),
]


@pytest.mark.parametrize(
    ("active", "assignee_language"), [("en", "zh-hans"), ("zh-hans", "en")], ids=["en>zh", "zh>en"]
)
@pytest.mark.parametrize(
    ("make", "field", "english", "chinese"), CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES]
)
def test_the_task_is_worded_in_the_assignees_language_not_the_active_one(
    make, field, english, chinese, active, assignee_language
):
    # given a customer (or colleague) acting in one language, an assignee reading the other
    world = World(active=active, assignee_language=assignee_language)

    # when the service makes the assignee's task
    task = make(world)

    # then it is worded for the assignee
    assert task.assignee == world.assignee
    text = getattr(task, field)
    wanted, unwanted = (chinese, english) if assignee_language == "zh-hans" else (english, chinese)
    assert wanted in text and unwanted not in text, text

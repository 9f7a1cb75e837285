"""Service-level journeys of a renewal, from the case opening to the new term."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from billing.models import Invoice, InvoiceStatus
from billing.services import payment_record
from contracts.models import AutoRenewConsent, Contract, ContractStatus, PlanPrice
from contracts.services import contract_set_auto_renew
from core.errors import DomainError, InvalidTransition
from core.models import Task
from lifecycle.contract_ends import process_contract_ends
from renewals import services
from renewals.models import Intent, IntentChannel, LossReason, QuoteStatus, RenewalCase, Stage
from renewals.selectors import customer_has_responded, quote_diff

from .conftest import TERM_END

S = ContractStatus


def _open_case(contract) -> RenewalCase:
    assert services.renewal_cases_open_due(as_of=dt.date(2026, 11, 21)) == 1
    return RenewalCase.objects.get(contract=contract)


def _sign(quote, user=None):
    quote.refresh_from_db()
    return services.quote_sign_online(
        quote=quote,
        full_name="王小明",
        accepted=True,
        document_sha256=quote.contract_document.sha256,
        user=user,
        ip_address="203.0.113.7",
        user_agent="pytest-browser",
    )


def _travel(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC), tick=False)


def test_it_renews_as_is_from_intent_to_the_new_term(
    today, renewing_contract, manager, sent_messages, django_capture_on_commit_callbacks
):
    # given an open case and the customer's answer "renew as is"
    case = _open_case(renewing_contract)
    assert case.owner == manager and case.stage == Stage.INTENT_PENDING
    assert not customer_has_responded(contract=renewing_contract)
    services.case_record_intent(
        case=case, intent=Intent.RENEW_AS_IS, channel=IntentChannel.PORTAL, note=""
    )
    assert customer_has_responded(contract=renewing_contract)

    # when the manager quotes, sends, the customer signs and the manager records payment
    quote = services.quote_create(case=case, by=manager)
    assert quote.total == Decimal("12000.00")
    assert (quote.start_date, quote.end_date) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    with django_capture_on_commit_callbacks(execute=True):
        services.quote_send(quote=quote, by=manager)
    assert ("renewal_quote_sent", True) in [(k, True) for k, _kw in sent_messages]
    signature = _sign(quote)
    case.refresh_from_db()
    successor = case.successor
    assert case.stage == Stage.SIGNED and successor.status == S.AWAITING_PAYMENT
    invoice = Invoice.objects.get(contract=successor)
    assert invoice.amount == Decimal("12000.00") and invoice.status == InvoiceStatus.OPEN
    payment_record(
        invoice=invoice,
        amount=Decimal("12000.00"),
        method="bank_transfer",
        reference="BOC-20261125-001",
        by=manager,
    )

    # then the successor is scheduled, and on the day after the end the new term starts
    successor.refresh_from_db()
    case.refresh_from_db()
    assert successor.status == S.SCHEDULED and case.stage == Stage.PAID
    assert signature.sha256 == quote.contract_document.sha256
    report = process_contract_ends(as_of=TERM_END + dt.timedelta(days=1))
    assert (report.activated, report.renewed, report.expired) == (1, 1, 0)
    renewing_contract.refresh_from_db()
    successor.refresh_from_db()
    case.refresh_from_db()
    assert renewing_contract.status == S.RENEWED and successor.status == S.ACTIVE
    assert case.stage == Stage.WON
    assert Task.objects.filter(dedupe_key=f"renewal-followup:{case.pk}").exists()
    kinds = list(renewing_contract.events.values_list("kind", flat=True))
    for expected in [
        "renewal_opened",
        "renewal_responded",
        "quote_created",
        "renewal_quote_sent",
        "renewal_signed",
        "renewal_paid",
        "renewed",
        "renewal_won",
    ]:
        assert expected in kinds


def test_it_renews_with_a_price_change_shown_line_by_line(
    today, renewing_contract, manager, terms_v2
):
    # given the plan's price rises by 20% from 1 January 2027
    PlanPrice.objects.create(
        plan=renewing_contract.plan, price=Decimal("1200.00"), effective_from=dt.date(2027, 1, 1)
    )
    case = _open_case(renewing_contract)

    # when the quote is made
    quote = services.quote_create(case=case, by=manager)

    # then it carries the new price and the newest terms, and the difference says so
    assert quote.total == Decimal("14400.00")
    assert quote.terms_version == terms_v2
    diff = quote_diff(quote=quote)
    (line,) = diff.lines
    assert line.status == "changed"
    assert (line.old_amount, line.new_amount) == (Decimal("12000.00"), Decimal("14400.00"))
    assert line.change_amount == Decimal("2400.00") and line.change_percent == Decimal("20.0")
    assert diff.total_change_percent == Decimal("20.0")
    assert ("+", "4. 数据保护。") in diff.terms_lines
    assert ("-", "2. 费用按年支付。") in diff.terms_lines


def test_it_renews_with_a_discount_in_three_installments(today, renewing_contract, manager):
    case = _open_case(renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    quote = services.quote_update(
        quote=quote, by=manager, installments=3, discount_percent=Decimal("10")
    )
    assert quote.total == Decimal("10800.00")
    services.quote_send(quote=quote, by=manager)
    _sign(quote)
    case.refresh_from_db()
    successor = case.successor
    assert successor.total_amount == Decimal("10800.00")

    invoices = list(Invoice.objects.filter(contract=successor).order_by("installment_no"))
    assert [i.amount for i in invoices] == [Decimal("3600.00")] * 3
    assert [i.installment_no for i in invoices] == [1, 2, 3]
    assert (
        invoices[1].due_date > invoices[0].due_date and invoices[2].due_date > invoices[1].due_date
    )

    # a partial payment of the first installment does not start anything
    payment_record(
        invoice=invoices[0], amount=Decimal("1000"), method="alipay", reference="ALI-1", by=manager
    )
    successor.refresh_from_db()
    assert successor.status == S.AWAITING_PAYMENT
    invoices[0].refresh_from_db()
    assert invoices[0].balance == Decimal("2600.00")

    # paying the rest of the first installment does
    payment_record(
        invoice=invoices[0], amount=Decimal("2600"), method="alipay", reference="ALI-2", by=manager
    )
    successor.refresh_from_db()
    assert successor.status == S.SCHEDULED
    assert Invoice.objects.get(pk=invoices[1].pk).status == InvoiceStatus.OPEN


def _consent(contract, manager):
    contract_set_auto_renew(
        contract=contract,
        enabled=True,
        by=manager,
        channel="portal",
        text="I agree that my contract renews automatically.",
        text_version="ar-1",
    )


def test_it_auto_renews_at_the_then_current_price_with_an_invoice_and_a_confirmation(
    today,
    renewing_contract,
    manager,
    notice_delivered,
    sent_messages,
    django_capture_on_commit_callbacks,
):
    # given auto-renew with consent, a delivered notice, and a new price from January
    _consent(renewing_contract, manager)
    PlanPrice.objects.create(
        plan=renewing_contract.plan, price=Decimal("1100.00"), effective_from=dt.date(2027, 1, 1)
    )

    # when the end of the term is processed on its last day
    with _travel(TERM_END), django_capture_on_commit_callbacks(execute=True):
        report = process_contract_ends(as_of=TERM_END)

    # then a successor at the new price is scheduled for the next day, invoiced, confirmed
    assert report.auto_renewed == 1
    successor = Contract.objects.get(predecessor=renewing_contract)
    assert successor.status == S.SCHEDULED
    assert successor.start_date == dt.date(2027, 1, 1)
    assert successor.end_date == dt.date(2027, 12, 31)
    assert successor.total_amount == Decimal("13200.00")
    assert successor.auto_renew is True
    assert AutoRenewConsent.objects.filter(contract=successor, enabled=True).exists()
    invoice = Invoice.objects.get(contract=successor)
    assert invoice.amount == Decimal("13200.00")
    assert "auto_renewal_confirmation" in [k for k, _kw in sent_messages]
    assert RenewalCase.objects.get(contract=renewing_contract).stage == Stage.WON

    # and the next day, unpaid or not, the new term starts and the old one is renewed
    with _travel(TERM_END + dt.timedelta(days=1)):
        again = process_contract_ends(as_of=TERM_END + dt.timedelta(days=1))
    assert (again.auto_renewed, again.activated, again.renewed) == (0, 1, 1)
    renewing_contract.refresh_from_db()
    successor.refresh_from_db()
    assert (renewing_contract.status, successor.status) == (S.RENEWED, S.ACTIVE)
    assert Contract.objects.filter(predecessor=renewing_contract).count() == 1


def test_it_does_not_auto_renew_silently_without_a_delivered_notice(
    today,
    renewing_contract,
    manager,
    notice_delivered,
    sent_messages,
    django_capture_on_commit_callbacks,
):
    _consent(renewing_contract, manager)
    notice_delivered["delivered"] = False

    with _travel(TERM_END), django_capture_on_commit_callbacks(execute=True):
        report = process_contract_ends(as_of=TERM_END)

    assert report.auto_renewed == 0 and report.auto_renew_blocked == 1
    assert not Contract.objects.filter(predecessor=renewing_contract).exists()
    case = RenewalCase.objects.get(contract=renewing_contract)
    assert case.flag and case.is_open
    assert Task.objects.filter(dedupe_key=f"auto-renew-blocked:{renewing_contract.pk}").exists()
    kinds = [k for k, kw in sent_messages if kw["channel"] == "email"]
    assert "auto_renewal_blocked" in kinds and "auto_renewal_confirmation" not in kinds

    # a second run the same day neither renews nor repeats the task or the message
    with _travel(TERM_END), django_capture_on_commit_callbacks(execute=True):
        process_contract_ends(as_of=TERM_END)
    emails = [k for k, kw in sent_messages if kw["channel"] == "email"]
    assert emails.count("auto_renewal_blocked") == 1

    # once the term is over it expires, and the case stays open for the manager
    with _travel(TERM_END + dt.timedelta(days=1)):
        process_contract_ends(as_of=TERM_END + dt.timedelta(days=1))
    renewing_contract.refresh_from_db()
    assert renewing_contract.status == S.EXPIRED


def test_it_does_not_auto_renew_when_the_latest_consent_was_withdrawn(
    today, renewing_contract, manager, notice_delivered
):
    _consent(renewing_contract, manager)
    renewing_contract.refresh_from_db()
    # the flag is on but the last consent row says off (e.g. imported data)
    AutoRenewConsent.objects.create(
        contract=renewing_contract,
        customer=renewing_contract.customer,
        enabled=False,
        text="off",
        text_version="x",
        channel="staff",
    )
    with _travel(TERM_END):
        report = process_contract_ends(as_of=TERM_END)
    assert report.auto_renewed == 0
    assert not Contract.objects.filter(predecessor=renewing_contract).exists()


def test_a_lost_case_records_its_reason_withdraws_the_quote_and_voids_the_draft(
    today, renewing_contract, manager
):
    case = _open_case(renewing_contract)
    services.case_record_intent(
        case=case,
        intent=Intent.WILL_NOT_RENEW,
        channel=IntentChannel.STAFF,
        by=manager,
        note="Budget cut",
    )
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)

    services.case_lose(case=case, reason=LossReason.BUDGET, note="Budget cut", by=manager)

    case.refresh_from_db()
    quote.refresh_from_db()
    assert case.stage == Stage.LOST and case.loss_reason == LossReason.BUDGET
    assert case.closed_at is not None
    assert quote.status == QuoteStatus.WITHDRAWN
    assert case.successor.status == S.VOID
    with pytest.raises(DomainError):
        services.case_lose(case=case, reason=LossReason.PRICE, by=manager)
    # the contract then simply expires at its end
    process_contract_ends(as_of=TERM_END + dt.timedelta(days=1))
    renewing_contract.refresh_from_db()
    assert renewing_contract.status == S.EXPIRED


def test_will_not_renew_switches_auto_renew_off_with_a_consent_row(
    today, renewing_contract, manager
):
    _consent(renewing_contract, manager)
    case = _open_case(renewing_contract)
    services.case_record_intent(
        case=case,
        intent=Intent.WILL_NOT_RENEW,
        channel=IntentChannel.PORTAL,
        note="",
        ip_address="198.51.100.1",
    )
    renewing_contract.refresh_from_db()
    assert renewing_contract.auto_renew is False
    latest = renewing_contract.consents.order_by("-at", "-id").first()
    assert latest.enabled is False and latest.ip_address == "198.51.100.1"


def test_undecided_creates_a_task_for_the_account_manager(today, renewing_contract, manager):
    case = _open_case(renewing_contract)
    services.case_record_intent(
        case=case,
        intent=Intent.UNDECIDED,
        channel=IntentChannel.EMAIL_LINK,
        note="Can we pay quarterly?",
    )
    task = Task.objects.get(contract=renewing_contract, kind="renewal")
    assert task.assignee == manager and "quarterly" in task.details


def test_renew_with_changes_needs_the_wished_changes(today, renewing_contract):
    case = _open_case(renewing_contract)
    with pytest.raises(DomainError):
        services.case_record_intent(
            case=case, intent=Intent.RENEW_WITH_CHANGES, channel=IntentChannel.PORTAL, note=" "
        )


def test_a_signed_quote_cannot_be_edited(today, renewing_contract, manager):
    case = _open_case(renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    _sign(quote)
    with pytest.raises(InvalidTransition):
        services.quote_update(quote=quote, by=manager, discount_percent=Decimal("50"))
    with pytest.raises(InvalidTransition):
        _sign(quote)
    quote.refresh_from_db()
    assert quote.discount_percent == Decimal("0") and quote.status == QuoteStatus.SIGNED


def test_the_signature_hash_matches_the_stored_pdf_exactly(today, renewing_contract, manager):
    import hashlib

    case = _open_case(renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    signature = _sign(quote)

    with signature.document.file.open("rb") as fh:
        stored = fh.read()
    assert stored[:5] == b"%PDF-"
    assert hashlib.sha256(stored).hexdigest() == signature.sha256 == signature.document.sha256
    assert signature.ip_address == "203.0.113.7" and signature.user_agent == "pytest-browser"
    assert signature.signer_name == "王小明"


def test_a_customer_cannot_sign_a_revision_they_did_not_see(today, renewing_contract, manager):
    case = _open_case(renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    seen = quote.contract_document.sha256
    # the manager revises and re-sends while the customer reads the old PDF
    services.quote_update(quote=quote, by=manager, discount_percent=Decimal("5"))
    services.quote_send(quote=quote, by=manager)
    with pytest.raises(DomainError):
        services.quote_sign_online(
            quote=quote, full_name="王小明", accepted=True, document_sha256=seen
        )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.revision == 2


def test_signing_needs_acceptance_and_a_full_name(today, renewing_contract, manager):
    case = _open_case(renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    sha = quote.contract_document.sha256
    with pytest.raises(DomainError):
        services.quote_sign_online(
            quote=quote, full_name="王小明", accepted=False, document_sha256=sha
        )
    with pytest.raises(DomainError):
        services.quote_sign_online(quote=quote, full_name=" ", accepted=True, document_sha256=sha)


def test_offline_signature_keeps_the_scan_and_who_signed_when(today, renewing_contract, manager):
    case = _open_case(renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    signed_at = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
    signature = services.quote_sign_offline(
        quote=quote,
        by=manager,
        signer_name="李四",
        signed_at=signed_at,
        scan=b"%PDF-1.4 scanned",
        filename="scan.pdf",
    )
    assert signature.method == "offline" and signature.recorded_by == manager
    assert signature.signed_at == signed_at
    case.refresh_from_db()
    assert case.successor.status == S.AWAITING_PAYMENT


def test_opening_cases_is_idempotent_and_only_within_the_window(today, renewing_contract):
    from tests.factories import ContractFactory

    later = ContractFactory(end_date=dt.date(2027, 3, 1))
    assert services.renewal_cases_open_due(as_of=today) == 1
    assert services.renewal_cases_open_due(as_of=today) == 0
    assert RenewalCase.objects.filter(contract=renewing_contract).count() == 1
    assert not RenewalCase.objects.filter(contract=later).exists()
    assert renewing_contract.events.filter(kind="renewal_opened").count() == 1


def test_an_answer_while_the_quote_is_out_is_logged_as_an_answer_not_a_stage_change(
    today, renewing_contract, manager
):
    case = _open_case(renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    services.case_record_intent(case=case, intent=Intent.RENEW_AS_IS, channel=IntentChannel.PORTAL)
    case.refresh_from_db()
    assert case.stage == Stage.QUOTE_SENT
    kinds = list(renewing_contract.events.values_list("kind", flat=True))
    assert kinds.count("renewal_quote_sent") == 1 and kinds.count("renewal_intent") == 1


def test_renewal_events_have_labels_for_staff_and_customers(today, renewing_contract, manager):
    from contracts.selectors import event_kind_label
    from portal.selectors import contract_detail_for_customer
    from renewals.event_labels import STAFF_LABELS

    case = _open_case(renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    assert event_kind_label("renewal_quote_sent", STAFF_LABELS) == "Renewal quote sent"
    labels = [
        str(e["label"]) for e in contract_detail_for_customer(contract=renewing_contract)["events"]
    ]
    assert "Renewal quote sent to you" in labels
    assert "Renewal quote prepared" not in labels  # staff bookkeeping stays internal


def test_messages_reach_the_notifications_outbox_in_the_customers_language(
    today, renewing_contract, manager, django_capture_on_commit_callbacks
):
    from notifications.models import Message

    case = _open_case(renewing_contract)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_record_intent(
            case=case, intent=Intent.UNDECIDED, channel=IntentChannel.PORTAL, note="价格？"
        )
        quote = services.quote_create(case=case, by=manager)
        services.quote_send(quote=quote, by=manager)
    to_manager = Message.objects.get(user=manager, kind="renewal_intent_staff")
    assert renewing_contract.number in to_manager.subject
    to_customer = Message.objects.get(
        customer=renewing_contract.customer, kind="renewal_quote_sent", channel="email"
    )
    assert to_customer.to_address == "buyer@example.com"
    assert quote.number in to_customer.subject or quote.number in to_customer.body_text
    assert "续约报价" in to_customer.subject  # the customer's language is Chinese


def test_no_case_opens_for_a_contract_already_renewed_by_hand(today, renewing_contract):
    from tests.factories import ContractFactory

    ContractFactory(
        customer=renewing_contract.customer,
        predecessor=renewing_contract,
        status=ContractStatus.SCHEDULED,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
    )
    assert services.renewal_cases_open_due(as_of=today) == 0


def test_after_a_renewal_the_customer_gets_exactly_one_satisfaction_survey(
    today,
    renewing_contract,
    manager,
    notice_delivered,
    sent_messages,
    django_capture_on_commit_callbacks,
):
    from insights.models import Survey

    _consent(renewing_contract, manager)
    with django_capture_on_commit_callbacks(execute=True):
        process_contract_ends(as_of=TERM_END + dt.timedelta(days=1))
    renewing_contract.refresh_from_db()
    assert renewing_contract.status == ContractStatus.RENEWED
    assert Survey.objects.filter(customer=renewing_contract.customer).count() == 1
    assert "satisfaction_survey" not in [k for k, _kw in sent_messages]

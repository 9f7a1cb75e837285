"""Staff renewal pages: board, case page, quote builder, actions (PRG), access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import Invoice, InvoiceStatus
from contracts.models import ContractStatus
from renewals import services
from renewals.models import Quote, QuoteStatus, RenewalCase, Stage
from tests.factories import StaffFactory

ZH_WAIT = "等待客户签署"


@pytest.fixture
def case(today, renewing_contract):
    services.renewal_cases_open_due(as_of=today)
    return RenewalCase.objects.get(contract=renewing_contract)


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def test_the_pipeline_groups_cases_by_stage_with_value_and_days_to_end(staff_client, case):
    response = staff_client.get(reverse("renewals:pipeline"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "上海示例科技有限公司" in body and "CNY 12,000.00" in body
    columns = [c.stage for c in response.context["columns"]]
    assert columns == ["intent_pending", "responded", "quote_sent", "signed", "paid", "won", "lost"]
    assert response.context["columns"][0].cases == [case]
    assert "40 days to end" in body


def test_another_managers_case_is_not_found(client, case):
    client.force_login(StaffFactory(username="bob"))
    assert client.get(reverse("renewals:case", args=[case.pk])).status_code == 404
    assert case not in [
        c for col in client.get(reverse("renewals:pipeline")).context["columns"] for c in col.cases
    ]


def test_a_customer_or_anonymous_visitor_cannot_open_the_board(client, case):
    assert client.get(reverse("renewals:pipeline")).status_code == 302
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("renewals:pipeline")).status_code == 403


def test_staff_record_the_intent_from_a_call(staff_client, case, manager):
    response = staff_client.post(
        reverse("renewals:intent", args=[case.pk]),
        {"intent": "renew_with_changes", "note": "Two more seats"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.RESPONDED and case.intent_channel == "staff"
    assert case.intent_by == manager


def test_a_bad_intent_post_is_shown_beside_the_answer_not_a_500(staff_client, case):
    response = staff_client.post(reverse("renewals:intent", args=[case.pk]), {"intent": "maybe"})
    assert response.status_code == 400
    assert response.context["intent_form"].errors["intent"] == ["Choose one of the answers."]
    assert "<details open>" in response.content.decode()


def test_the_quote_builder_downgrades_discounts_and_sends(staff_client, case, plan):
    staff_client.post(reverse("renewals:quote-create", args=[case.pk]))
    quote = Quote.objects.get(case=case)
    line = quote.lines.get()
    response = staff_client.post(
        reverse("renewals:quote-edit", args=[case.pk]),
        {
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "1",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-source_line_id": str(line.source_line_id),
            "lines-0-plan": str(plan.pk),
            "lines-0-description": line.description,
            "lines-0-quantity": "1",
            "lines-0-unit_price": "",
            "lines-1-description": "Onboarding",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "500.00",
            "term_months": "6",
            "terms_version": "",
            "discount_percent": "10",
            "installments": "2",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    quote.refresh_from_db()
    # 6 months of the plan at 1,000 + 500 onboarding, minus 10%
    assert quote.subtotal == Decimal("6500.00") and quote.total == Decimal("5850.00")
    assert quote.installments == 2
    page = staff_client.get(reverse("renewals:case", args=[case.pk])).content.decode()
    assert "Onboarding" in page and "-50.0%" in page

    staff_client.post(reverse("renewals:quote-send", args=[case.pk]))
    quote.refresh_from_db()
    case.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and case.stage == Stage.QUOTE_SENT
    pdf = staff_client.get(reverse("renewals:document", args=[case.pk, "quote"]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content)[:5] == b"%PDF-"


def test_offline_signature_then_payment_from_the_case_page(staff_client, case, manager):
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    response = staff_client.post(
        reverse("renewals:sign-offline", args=[case.pk]),
        {
            "signer_name": "李四",
            "signed_on": "2026-11-20",
            "scan": SimpleUploadedFile("scan.pdf", b"%PDF-1.4 paper", "application/pdf"),
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.SIGNED
    invoice = Invoice.objects.get(contract=case.successor)
    response = staff_client.post(
        reverse("billing:invoice-pay", args=[invoice.pk]),
        {
            "amount": "12000.00",
            "method": "bank_transfer",
            "reference": "ICBC-778",
            "received_on": "2026-11-21",
            "next": reverse("renewals:case", args=[case.pk]),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("renewals:case", args=[case.pk])
    invoice.refresh_from_db()
    case.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and case.stage == Stage.PAID
    assert case.successor.status == ContractStatus.SCHEDULED
    # the same reference again: a message, no second payment
    again = staff_client.post(
        reverse("billing:invoice-pay", args=[invoice.pk]),
        {
            "amount": "1",
            "method": "bank_transfer",
            "reference": "ICBC-778",
            "received_on": "2026-11-21",
        },
        follow=True,
    )
    assert again.status_code == 200
    assert "already recorded" in " ".join(str(m) for m in again.context["messages"])


def test_an_offline_scan_of_the_wrong_type_is_refused(staff_client, case, manager):
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    staff_client.post(
        reverse("renewals:sign-offline", args=[case.pk]),
        {
            "signer_name": "李四",
            "signed_on": "2026-11-20",
            "scan": SimpleUploadedFile("scan.exe", b"MZ", "application/octet-stream"),
        },
    )
    case.refresh_from_db()
    assert case.stage == Stage.QUOTE_SENT


def test_losing_a_case_needs_a_reason(staff_client, case):
    staff_client.post(reverse("renewals:lose", args=[case.pk]), {"reason": ""})
    case.refresh_from_db()
    assert case.stage == Stage.INTENT_PENDING
    staff_client.post(reverse("renewals:lose", args=[case.pk]), {"reason": "competitor"})
    case.refresh_from_db()
    assert case.stage == Stage.LOST and case.loss_reason == "competitor"


def test_get_never_changes_anything(staff_client, case):
    for name in ["intent", "lose", "quote-create", "quote-send", "sign-offline", "contact"]:
        assert staff_client.get(reverse(f"renewals:{name}", args=[case.pk])).status_code == 405
    case.refresh_from_db()
    assert case.stage == Stage.INTENT_PENDING and not Quote.objects.exists()


def test_terms_versions_can_be_compared_side_by_side(staff_client, terms_v1, terms_v2):
    response = staff_client.get(
        reverse("renewals:terms-diff"), {"a": terms_v1.pk, "b": terms_v2.pk}
    )
    assert response.status_code == 200
    assert ("+", "4. 数据保护。") in response.context["lines"]


def test_the_billing_pages_list_and_show_invoices(staff_client, case, manager):
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    services.quote_sign_online(
        quote=quote,
        full_name="王小明",
        accepted=True,
        document_sha256=Quote.objects.get().contract_document.sha256,
    )
    invoice = Invoice.objects.get()
    assert invoice.number in staff_client.get(reverse("billing:invoices")).content.decode()
    assert staff_client.get(reverse("billing:invoice", args=[invoice.pk])).status_code == 200
    pdf = staff_client.get(reverse("billing:invoice-pdf", args=[invoice.pk]))
    assert pdf.status_code == 200


def test_the_staff_contract_page_has_a_renewal_section(staff_client, case, renewing_contract):
    page = staff_client.get(reverse("contracts:detail", args=[renewing_contract.pk]))
    assert page.status_code == 200
    assert reverse("renewals:case", args=[case.pk]) in page.content.decode()


def test_a_case_can_be_started_from_a_contract_without_one(staff_client, manager):
    from tests.factories import ContractFactory, CustomerFactory

    contract = ContractFactory(customer=CustomerFactory(account_manager=manager))
    page = staff_client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert reverse("renewals:open", args=[contract.pk]) in page
    staff_client.post(reverse("renewals:open", args=[contract.pk]))
    assert RenewalCase.objects.filter(contract=contract, owner=manager).exists()


def test_the_staff_renewal_pages_speak_chinese(staff_client, case, manager):
    services.quote_create(case=case, by=manager)
    staff_client.cookies["django_language"] = "zh-hans"
    board = staff_client.get(reverse("renewals:pipeline")).content.decode()
    assert "等待意向" in board
    page = staff_client.get(reverse("renewals:case", args=[case.pk])).content.decode()
    assert "代客户记录答复" in page and "作为流失关闭" in page


def test_an_empty_contact_note_is_refused_beside_its_field_and_moves_nothing(staff_client, case):
    # given a case with a next action already planned
    services.case_log_contact(case=case, by=case.owner, note="", next_action="Call back")
    case.refresh_from_db()
    assert case.last_contact_at is None  # a plan is not a contact

    # when the form is sent again with no note and the same next action
    response = staff_client.post(
        reverse("renewals:contact", args=[case.pk]),
        {"note": "  ", "next_action": "Call back", "next_action_date": ""},
    )

    # then the case page comes back with the error beside the note, and nothing moved
    assert response.status_code == 400
    form = response.context["contact_form"]
    assert "note" in form.errors
    assert 'id="id_contact_note"' in response.content.decode()
    case.refresh_from_db()
    assert case.last_contact_at is None


def test_a_contact_note_moves_last_contact_and_a_past_due_date_is_refused(
    staff_client, case, today
):
    response = staff_client.post(
        reverse("renewals:contact", args=[case.pk]),
        {"note": "Spoke to the buyer", "next_action": "Send quote", "next_action_date": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.last_contact_at is not None and case.next_action == "Send quote"

    response = staff_client.post(
        reverse("renewals:contact", args=[case.pk]),
        {
            "note": "Again",
            "next_action": "Send quote",
            "next_action_date": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "next_action_date" in response.context["contact_form"].errors


def test_a_refused_lose_form_shows_its_error_beside_the_reason(staff_client, case):
    response = staff_client.post(reverse("renewals:lose", args=[case.pk]), {"reason": ""})

    assert response.status_code == 400
    assert "reason" in response.context["lose_form"].errors
    assert "reason:" not in response.content.decode()


def test_a_next_action_set_by_a_service_reads_in_the_readers_language(client, manager, case, plan):
    # given an English-speaking manager sends the quote (the service sets the next action)
    from django.utils import translation

    with translation.override("en"):
        quote = services.quote_create(case=case, by=manager)
        services.quote_send(quote=quote, by=manager)
    case.refresh_from_db()
    assert case.next_action == "Wait for the customer's signature"  # the source text

    # when a Chinese-speaking colleague opens the pipeline and the case
    lead = StaffFactory(username="zh.lead", language="zh-hans")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    client.force_login(lead)
    client.cookies["django_language"] = "zh-hans"
    pipeline = client.get(reverse("renewals:pipeline")).content.decode()
    page = client.get(reverse("renewals:case", args=[case.pk])).content.decode()

    # then both read it in Chinese, and saving the contact form unchanged keeps the source
    assert ZH_WAIT in pipeline and ZH_WAIT in page
    assert "Wait for the customer" not in pipeline
    client.post(
        reverse("renewals:contact", args=[case.pk]),
        {"note": "已电话沟通", "next_action": ZH_WAIT, "next_action_date": ""},
    )
    case.refresh_from_db()
    assert case.next_action == "Wait for the customer's signature"


@pytest.mark.parametrize(("language", "length"), [("en", "(12 months)"), ("zh-hans", "(12 个月)")])
def test_the_quote_gives_each_terms_length_in_months(staff_client, case, manager, language, length):
    services.quote_create(case=case, by=manager)
    manager.language = language
    manager.save(update_fields=["language"])
    staff_client.cookies["django_language"] = language

    page = staff_client.get(reverse("renewals:case", args=[case.pk])).content.decode()

    row = page.split('class="text-end term-change">', 1)[1].split("</td>", 1)[0]
    assert row.count(length) == 2, row  # the current term and the new one
    assert "(12)" not in row

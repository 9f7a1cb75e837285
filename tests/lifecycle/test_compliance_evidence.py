"""The compliance evidence of a customer or a contract (lifecycle/compliance_evidence.py)
and its staff downloads (lifecycle/staff_views.py): consents with their texts, notices
with their delivery proof, signatures with hashes, cancellations, the rules that applied;
the PDF really rendered (text extracted, CJK font embedded), the CSV safe to open."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import re
import shutil
import subprocess

import pytest
from django.apps import apps
from django.urls import reverse

from compliance.services import contract_rules_capture
from contracts.models import AutoRenewConsent, ContractStatus
from core.models import Document
from lifecycle.compliance_evidence import evidence_build
from notifications.models import Message, MessageEvent
from renewals.models import Quote, RenewalCase, Signature
from retention.models import CancellationRequest, RequestEvent
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

PDFFONTS = shutil.which("pdffonts")
PDFTOTEXT = shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(not (PDFFONTS and PDFTOTEXT), reason="poppler-utils missing")

TZ = dt.UTC
SHA = "ab" * 32
CONSENT_TEXT = "本合同到期后按当时价格自动续约一年，可随时在客户门户关闭。"


@pytest.fixture(autouse=True)
def shipped_rules(db):
    importlib.import_module("compliance.migrations.0002_seed_jurisdictions_rulesets").seed(
        apps, None
    )


def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


def _message(contract, channel, status, key, **kw):
    return Message.objects.create(
        customer=contract.customer,
        contract=contract,
        channel=channel,
        kind="renewal_reminder",
        template_kind="renewal_reminder",
        language="zh-hans",
        dedupe_key=key,
        status=status,
        **kw,
    )


@pytest.fixture
def world(manager):
    customer = CustomerFactory(
        name="上海示例科技有限公司", code="C77001", country="CN", account_manager=manager
    )
    old = ContractFactory(
        customer=customer,
        number="HT-2027-000101",
        status=ContractStatus.RENEWED,
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2028, 2, 29),
        signed_at=_at("2027-02-20"),
    )
    new = ContractFactory(
        customer=customer,
        number="HT-2028-000202",
        predecessor=old,
        status=ContractStatus.ACTIVE,
        start_date=dt.date(2028, 3, 1),
        end_date=dt.date(2029, 2, 28),
    )
    contract_rules_capture(contract=old)
    AutoRenewConsent.objects.create(
        contract=old,
        customer=customer,
        enabled=True,
        text=CONSENT_TEXT,
        text_version="cn-2027-1",
        channel="portal",
        at=_at("2027-02-20", 10),
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (Test)",
    )
    AutoRenewConsent.objects.create(
        contract=new,
        customer=customer,
        kind="payment_method",
        enabled=True,
        text='=HYPERLINK("http://evil.example")',
        text_version="pay-1",
        channel="portal",
        at=_at("2028-03-02"),
    )
    email = _message(
        old, "email", "sent", "e1", to_address="a@example.com", sent_at=_at("2028-01-30")
    )
    MessageEvent.objects.create(
        message=email, kind="sent", from_status="sending", to_status="sent", at=_at("2028-01-30")
    )
    _message(
        old,
        "sms",
        "delivered",
        "s1",
        to_address="+8613800000000",
        provider="aliyun",
        provider_message_id="BIZ-123456",
        sent_at=_at("2028-02-14"),
        delivered_at=_at("2028-02-14", 10),
    )
    _message(old, "sms", "undelivered", "s2", provider="tencent", last_error="号码停机")
    _message(old, "sms", "sent", "s3", provider="console")
    _message(old, "in_app", "sent", "p1", read_at=_at("2028-02-20"))
    _message(new, "in_app", "sent", "p2")
    case = RenewalCase.objects.create(contract=old, opened_at=_at("2027-12-31"), successor=new)
    quote = Quote.objects.create(
        case=case,
        number="Q-2028-000007",
        start_date=new.start_date,
        end_date=new.end_date,
        billing_period="monthly",
    )
    signed = Document.objects.create(
        kind="signed",
        title="Contract HT-2028-000202, signed online by 张三",
        file="documents/signed.pdf",
        sha256=SHA,
        customer=customer,
        contract=new,
    )
    Signature.objects.create(
        quote=quote,
        method="online",
        signer_name="张三",
        signed_at=_at("2028-02-10"),
        ip_address="198.51.100.9",
        user_agent="Mozilla/5.0 (Signer)",
        sha256=SHA,
        document=signed,
    )
    request = CancellationRequest.objects.create(
        contract=new,
        customer=customer,
        kind="non_renewal",
        reason="price",
        reason_text="价格太高",
        submitted_at=_at("2028-06-01"),
        sla_due_at=_at("2028-06-03"),
    )
    RequestEvent.objects.create(
        request=request, kind="submitted", to_status="submitted", at=_at("2028-06-01")
    )
    return {"customer": customer, "old": old, "new": new}


def test_the_customer_evidence_holds_every_section(world):
    evidence = evidence_build(customer=world["customer"])

    assert [c.number for c in evidence.contracts] == ["HT-2027-000101", "HT-2028-000202"]
    consent = evidence.consents[0]
    assert (consent.text, consent.ip_address, consent.user_agent) == (
        CONSENT_TEXT,
        "203.0.113.7",
        "Mozilla/5.0 (Test)",
    )
    assert [c.kind for c in evidence.consents] == ["Auto-renewal", "Automatic payment"]
    proofs = {n.channel + "/" + n.status: n.proof for n in evidence.notices}
    assert proofs["Email/Sent"] == "Accepted by the receiving mail server"
    assert proofs["SMS/Delivered"] == "Delivery receipt from the SMS provider"
    assert proofs["SMS/Not delivered"].endswith("号码停机")
    assert "never sent to a phone" in proofs["SMS/Sent"]
    in_app = [n.proof for n in evidence.notices if n.channel == "In-app"]
    assert in_app == ["Read in the portal", "In the portal inbox, not read"]
    sms = next(n for n in evidence.notices if n.provider_message_id)
    assert (sms.provider, sms.provider_message_id) == ("aliyun", "BIZ-123456")
    assert [s.label for s in evidence.notices[0].steps] == ["Sent"]
    (signature,) = evidence.signatures
    assert signature.contract == "HT-2028-000202" and signature.sha256 == SHA
    assert signature.hash_matches
    (cancellation,) = evidence.cancellations
    assert cancellation.reason_text == "价格太高"
    assert [s.label for s in cancellation.steps] == ["Request submitted"]
    rules = {r.contract: r for r in evidence.rules}
    assert rules["HT-2027-000101"].captured and rules["HT-2027-000101"].labels == ("CN v2",)
    assert not rules["HT-2028-000202"].captured
    assert any("consent_retention_years = 3" in p for p in rules["HT-2027-000101"].parameters)
    assert any("第十八条" in s for s in rules["HT-2027-000101"].sources)


def test_a_contract_evidence_holds_only_that_contract(world):
    evidence = evidence_build(customer=world["customer"], contract=world["new"])

    assert [c.contract for c in evidence.consents] == ["HT-2028-000202"]
    assert {n.contract for n in evidence.notices} == {"HT-2028-000202"}
    assert [r.contract for r in evidence.rules] == ["HT-2028-000202"]
    assert len(evidence.signatures) == 1 and len(evidence.cancellations) == 1
    with pytest.raises(ValueError):
        evidence_build(customer=CustomerFactory(), contract=world["new"])


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.reader(io.StringIO(text.decode("utf-8").lstrip("\ufeff"))))


def test_the_csv_download_lists_every_fact_and_defuses_formulas(client, manager, world):
    client.force_login(manager)

    response = client.get(reverse("evidence:customer-csv", args=[world["customer"].pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="evidence-C77001-' in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header[0] == "Section" and "SHA-256" in header
    sections = {row[0] for row in rows}
    assert {"Consent", "Notice", "Notice status", "Signature", "Document"} <= sections
    assert {"Cancellation", "Cancellation step", "Rules"} <= sections
    texts = [row[-1] for row in rows if row[0] == "Consent"]
    assert CONSENT_TEXT in texts
    assert '\'=HYPERLINK("http://evil.example")' in texts
    assert any(SHA in row for row in rows if row[0] == "Signature")
    assert any("BIZ-123456" in row for row in rows if row[0] == "Notice")


def test_the_contract_csv_is_in_the_users_language(client, manager, world):
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    client.force_login(manager)

    response = client.get(reverse("evidence:contract-csv", args=[world["new"].pk]))

    header, *rows = _csv_rows(response)
    assert header[0] == "类别"
    assert {row[1] for row in rows} == {"HT-2028-000202"}


@needs_poppler
def test_the_pdf_is_rendered_with_an_embedded_cjk_font(client, manager, world, tmp_path):
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    client.force_login(manager)

    response = client.get(reverse("evidence:customer-pdf", args=[world["customer"].pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "evidence.pdf"
    path.write_bytes(response.content)
    fonts = subprocess.run(  # noqa: S603 - fixed tool on a file we just wrote
        [PDFFONTS, str(path)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line or "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts
    text = subprocess.run(  # noqa: S603
        [PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    assert "合规证据" in flat
    assert "上海示例科技有限公司" in flat
    assert "HT-2027-000101" in flat and "HT-2028-000202" in flat
    assert "".join(CONSENT_TEXT.split()) in flat
    assert SHA in flat
    assert "BIZ-123456" in flat
    assert "价格太高" in flat
    assert "CNv2" in flat


@needs_poppler
def test_the_contract_pdf_names_the_contract(client, manager, world, tmp_path):
    client.force_login(manager)

    response = client.get(reverse("evidence:contract-pdf", args=[world["old"].pk]))

    path = tmp_path / "contract.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(  # noqa: S603
        [PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Compliance evidence" in text
    assert "Contract HT-2027-000101" in text
    assert "HT-2028-000202" in text  # the signature of its renewal
    assert 'filename="evidence-HT-2027-000101-' in response["Content-Disposition"]


def test_another_managers_customer_and_contract_are_not_found(client, world):
    other = StaffFactory(username="bob")
    client.force_login(other)
    for name, pk in (
        ("evidence:customer-pdf", world["customer"].pk),
        ("evidence:customer-csv", world["customer"].pk),
        ("evidence:contract-pdf", world["old"].pk),
        ("evidence:contract-csv", world["old"].pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404, name


def test_a_team_lead_may_export_and_a_customer_may_not(client, team_lead, world):
    url = reverse("evidence:customer-csv", args=[world["customer"].pk])
    client.force_login(team_lead)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code in (302, 403)
    assert client.post(url).status_code in (302, 403, 405)


def test_the_customer_and_contract_pages_link_to_the_downloads(client, manager, world):
    client.force_login(manager)
    customer_page = client.get(reverse("customers:detail", args=[world["customer"].pk]))
    contract_page = client.get(reverse("contracts:detail", args=[world["old"].pk]))

    assert reverse("evidence:customer-pdf", args=[world["customer"].pk]) in customer_page.text
    assert reverse("evidence:customer-csv", args=[world["customer"].pk]) in customer_page.text
    assert reverse("evidence:contract-pdf", args=[world["old"].pk]) in contract_page.text
    assert reverse("evidence:contract-csv", args=[world["old"].pk]) in contract_page.text


@needs_poppler
@pytest.mark.parametrize(
    ("language", "times_in"),
    [
        ("en", "All times are in the Asia/Shanghai time zone"),
        ("zh-hans", "所有时间均为Asia/Shanghai时区"),
    ],
)
def test_the_pdf_names_its_time_zone_by_offset_and_name_never_an_ambiguous_abbreviation(
    client, manager, world, tmp_path, language, times_in
):
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)

    response = client.get(reverse("evidence:customer-pdf", args=[world["customer"].pk]))

    path = tmp_path / "evidence.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(  # noqa: S603
        [PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # "CST" is China Standard Time to some readers and US Central to others.
    assert "CST" not in text
    flat = " ".join(text.split())
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\+08:00 \(Asia/Shanghai\)", flat), flat[:400]
    if language == "en":
        assert times_in in flat
    else:
        assert times_in in "".join(text.split())

"""Compliance evidence in a real browser: a manager opens a customer, downloads the
evidence PDF and CSV; another manager's customer is not found."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import shutil
import subprocess

import pytest
from django.apps import apps

from contracts.models import AutoRenewConsent, ContractStatus
from notifications.models import Message
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Secret-123"
CONSENT_TEXT = "到期后自动续约一年，可随时在客户门户关闭。"
PDFTOTEXT = shutil.which("pdftotext") or "pdftotext"
PDFFONTS = shutil.which("pdffonts") or "pdffonts"


@pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdffonts")), reason="poppler-utils missing"
)
def test_a_manager_downloads_a_customers_evidence(
    page, live_server, transactional_db, screenshot, staff_login
):
    # given: the shipped rules (a transactional test flushes the data migration's rows),
    # Alice's Chinese customer with a consent and an SMS notice with its receipt
    importlib.import_module("compliance.migrations.0002_seed_jurisdictions_rulesets").seed(
        apps, None
    )
    alice = StaffFactory(username="alice", first_name="Alice", language="en")
    bob = StaffFactory(username="bob")
    customer = CustomerFactory(
        account_manager=alice, name="杭州云栖软件有限公司", code="C90001", country="CN"
    )
    contract = ContractFactory(
        customer=customer,
        number="HT-2028-000301",
        status=ContractStatus.ACTIVE,
        start_date=dt.date(2028, 3, 1),
        end_date=dt.date(2029, 2, 28),
    )
    AutoRenewConsent.objects.create(
        contract=contract,
        customer=customer,
        enabled=True,
        text=CONSENT_TEXT,
        text_version="cn-1",
        channel="portal",
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (Phone)",
    )
    Message.objects.create(
        customer=customer,
        contract=contract,
        to_address="+8613800000000",
        channel="sms",
        kind="renewal_reminder",
        template_kind="renewal_reminder",
        language="zh-hans",
        dedupe_key="e2e-evidence-sms",
        status="delivered",
        provider="aliyun",
        provider_message_id="BIZ-E2E-42",
    )
    others = CustomerFactory(account_manager=bob, name="Bob's customer")

    # when: she opens the customer page and downloads the PDF and the CSV
    staff_login(page, live_server, username="alice", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/customers/{customer.pk}/")
    screenshot(page, "evidence-customer-page")
    with page.expect_download() as pdf_info:
        page.get_by_role("link", name="Evidence (PDF)").click()
    with page.expect_download() as csv_info:
        page.get_by_role("link", name="Evidence (CSV)").click()

    # then: the PDF carries the consent's exact text and the receipt, in an embedded CJK font
    pdf = pdf_info.value
    assert pdf.suggested_filename.startswith("evidence-C90001-")
    text = subprocess.run(  # noqa: S603 - fixed tool on the file the browser saved
        [PDFTOTEXT, pdf.path(), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    assert "杭州云栖软件有限公司" in flat and "HT-2028-000301" in flat
    assert "".join(CONSENT_TEXT.split()) in flat
    assert "BIZ-E2E-42" in flat
    fonts = subprocess.run(  # noqa: S603
        [PDFFONTS, pdf.path()], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line or "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts

    # and the CSV lists the consent and the notice with its proof
    csv_download = csv_info.value
    assert csv_download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(open(csv_download.path(), encoding="utf-8-sig").read())))
    by_section = {row[0]: row for row in rows[1:]}
    assert by_section["Consent"][-1] == CONSENT_TEXT
    assert by_section["Consent"][7] == "203.0.113.7"
    assert "Delivery receipt from the SMS provider" in by_section["Notice"][5]
    assert by_section["Notice"][10] == "BIZ-E2E-42"

    assert not page.js_errors

    # and Bob's customer is not found for her (the browser logs the 404 it was shown)
    response = page.goto(f"{live_server.url}/staff/evidence/customers/{others.pk}.pdf")
    assert response is not None and response.status == 404

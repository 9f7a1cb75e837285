"""The consent ledger's CSV export tells an auto-renewal switch from a consent to automatic
payment (contracts/exports.py), in both languages."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from contracts.auto_renew_consent import contract_set_auto_renew, payment_method_consent_record
from contracts.exports import consents_csv_response
from contracts.models import AutoRenewConsent
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def _rows(language: str) -> list[list[str]]:
    with translation.override(language):
        response = consents_csv_response(
            consents=AutoRenewConsent.objects.all(), filename="consents.csv"
        )
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def ledger(admin_user):
    contract = ContractFactory()
    contract_set_auto_renew(
        contract=contract,
        enabled=True,
        by=admin_user,
        channel="portal",
        text="on",
        text_version="1",
    )
    payment_method_consent_record(
        contract=contract,
        enabled=True,
        by=admin_user,
        channel="portal",
        text="charge my card",
        text_version="payment-method-1",
    )
    return contract


def test_each_row_says_what_was_consented_to_in_the_last_column(ledger):
    header, *rows = _rows("en")
    assert header[-1] == "Consent to" and header[4] == "On / off"
    assert len(header) == 12
    assert {(r[7], r[-1]) for r in rows} == {
        ("on", "Auto-renewal"),
        ("charge my card", "Automatic payment"),
    }


def test_the_kind_column_is_translated(ledger):
    header, *rows = _rows("zh-hans")
    assert header[-1] == "授权事项"
    assert sorted(r[-1] for r in rows) == sorted(["自动续约", "自动扣款"])

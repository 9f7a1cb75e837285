"""The compliance admin: rule sets validated as they are edited (compliance/admin.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from compliance.models import ContractRules, Jurisdiction, RuleSet
from compliance.services import contract_rules_capture
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:compliance_ruleset_add")


@pytest.fixture(autouse=True)
def _english_admin(admin_user):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])


def _post(client, **overrides):
    data = {
        "jurisdiction": Jurisdiction.objects.get(code="CN").pk,
        "version": "3",
        "effective_from": "2030-01-01",
        "effective_to": "",
        "notice_unit": "days",
        "notice_min": "7",
        "notice_max": "",
        "window_anchor": "term_end",
        "delivered_notice_channels": ["email_accepted", "sms_receipt"],
        "source_citation": "网络交易监督管理办法 第十八条",
    }
    data.update(overrides)
    return client.post(ADD, data)


def _errors(response) -> str:
    assert response.status_code == 200, "the form was accepted"
    return response.content.decode()


def test_a_valid_new_version_is_saved_with_its_proofs(admin_client):
    # Version 2 of China is open-ended: close it first, as an admin would.
    RuleSet.objects.filter(jurisdiction__code="CN", version=2).update(
        effective_to=dt.date(2029, 12, 31)
    )
    response = _post(admin_client)
    assert response.status_code == 302
    saved = RuleSet.objects.get(jurisdiction__code="CN", version=3)
    assert saved.notice_min == 7
    assert saved.delivered_notice_channels == ["email_accepted", "sms_receipt"]


def test_overlapping_dates_are_refused(admin_client):
    assert "overlap version 2" in _errors(_post(admin_client))
    assert not RuleSet.objects.filter(version=3).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"notice_min": "30", "notice_max": "10"}, "earliest notice must not be later"),
        ({"source_citation": ""}, "This field is required."),
        ({"source_citation": "   "}, "Cite the law"),
        ({"delivered_notice_channels": []}, "This field is required."),
        ({"effective_to": "2029-12-31"}, "end date must not be before"),
        ({"renew_into_open_ended": "on"}, "notice period of the open-ended contract"),
        ({"version": "2", "effective_from": "2031-01-01"}, "already exists"),
    ],
)
def test_bad_rule_sets_are_refused_with_a_message(admin_client, overrides, message):
    RuleSet.objects.filter(jurisdiction__code="CN", version=2).update(
        effective_to=dt.date(2029, 12, 31)
    )
    assert message in _errors(_post(admin_client, **overrides))


def test_the_pages_load(admin_client):
    contract = ContractFactory(
        customer=CustomerFactory(country="FR"),
        start_date=dt.date(2026, 7, 1),
        end_date=dt.date(2027, 6, 30),
    )
    captured = contract_rules_capture(contract=contract)
    for name in ["jurisdiction", "ruleset", "contractrules"]:
        assert admin_client.get(reverse(f"admin:compliance_{name}_changelist")).status_code == 200
    ruleset = RuleSet.objects.get(jurisdiction__code="FR")
    page = admin_client.get(reverse("admin:compliance_ruleset_change", args=[ruleset.pk]))
    assert "L215-1" in page.content.decode()
    eu = Jurisdiction.objects.get(code="EU")
    assert (
        admin_client.get(reverse("admin:compliance_jurisdiction_change", args=[eu.pk])).status_code
        == 200
    )
    snapshot = admin_client.get(
        reverse("admin:compliance_contractrules_change", args=[captured.pk])
    )
    assert snapshot.status_code == 200
    assert ContractRules.objects.count() == 1


def test_a_jurisdiction_cannot_be_its_own_ancestor(admin_client):
    eu = Jurisdiction.objects.get(code="EU")
    fr = Jurisdiction.objects.get(code="FR")
    response = admin_client.post(
        reverse("admin:compliance_jurisdiction_change", args=[eu.pk]),
        {
            "code": "EU",
            "name": "European Union",
            "parent": fr.pk,
            "rulesets-TOTAL_FORMS": "0",
            "rulesets-INITIAL_FORMS": "0",
        },
    )
    assert "cannot be its own parent" in _errors(response)

"""Which rules apply to a place, a customer and a contract (compliance/selectors.py,
compliance/services.py), over the shipped rule sets (migration 0002)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import ProtectedError

from compliance.models import ContractRules, Jurisdiction, RuleSet
from compliance.rules import notice_window
from compliance.selectors import (
    contract_ruleset_snapshot,
    jurisdictions_for,
    ruleset_for,
)
from compliance.services import contract_rules_capture
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_french_customer_is_under_france_and_the_eu():
    assert [j.code for j in jurisdictions_for("FR")] == ["FR", "EU"]
    rules = ruleset_for(("fr", ""), on=dt.date(2026, 6, 19))
    assert rules.labels == ["FR v1", "EU v2"]
    assert rules.free_termination_if_not_notified
    assert rules.withdrawal_days == 14 and rules.requires_withdrawal_function


def test_the_eu_withdrawal_function_starts_on_19_june_2026():
    assert ruleset_for(("DE", ""), on=dt.date(2026, 6, 18)).labels == ["DE v2", "EU v1"]
    before = ruleset_for(("IT", ""), on=dt.date(2026, 6, 18))
    assert before.labels == ["EU v1"] and not before.requires_withdrawal_function
    assert ruleset_for(("IT", ""), on=dt.date(2026, 6, 19)).requires_withdrawal_function


def test_a_californian_customer_is_under_the_version_in_force():
    assert [j.code for j in jurisdictions_for("US", "US-CA")] == ["US-CA", "US"]
    old = ruleset_for(("US", "US-CA"), on=dt.date(2025, 6, 30))
    new = ruleset_for(("US", "US-CA"), on=dt.date(2025, 7, 1))
    assert old.labels == ["US-CA v1"] and old.consent_retention_years is None
    assert new.labels == ["US-CA v2"] and new.consent_retention_years == 3
    assert ruleset_for(("US", "US-NY"), on=dt.date(2026, 1, 1)).rulesets == ()


def test_china_germany_and_the_uk():
    cn = ruleset_for(("CN", ""), on=dt.date(2027, 2, 28))
    assert cn.labels == ["CN v2"] and cn.prominent_disclosure_required
    window = notice_window(cn, dt.date(2026, 3, 1), dt.date(2027, 2, 28))
    assert window is not None and window.latest == dt.date(2027, 2, 23)
    de = ruleset_for(("DE", ""), on=dt.date(2022, 5, 1))
    assert de.labels == ["DE v1", "EU v1"] and not de.requires_cancel_button
    assert ruleset_for(("DE", ""), on=dt.date(2022, 7, 1)).requires_cancel_button
    # The UK's subscription regime awaits its commencement: nothing applies yet.
    assert ruleset_for(("GB", ""), on=dt.date(2099, 1, 1)).rulesets == ()


def test_a_commencement_date_brings_the_uk_rules_in():
    uk = RuleSet.objects.get(jurisdiction__code="GB", version=1)
    uk.awaiting_commencement = False
    uk.commencement_date = dt.date(2027, 4, 1)
    uk.save()
    assert ruleset_for(("GB", ""), on=dt.date(2027, 3, 31)).rulesets == ()
    assert ruleset_for(("GB", ""), on=dt.date(2027, 4, 1)).undo_window_days == 14


def test_ruleset_for_reads_a_customer():
    customer = CustomerFactory(country="US", region="US-CA")
    assert ruleset_for(customer, on=dt.date(2026, 1, 1)).labels == ["US-CA v2"]


def test_a_parent_cycle_in_the_data_does_not_loop():
    a = Jurisdiction.objects.create(code="XA", name="A")
    b = Jurisdiction.objects.create(code="XB", name="B", parent=a)
    Jurisdiction.objects.filter(pk=a.pk).update(parent=b)
    assert [j.code for j in jurisdictions_for("XA")] == ["XA", "XB"]


def test_capture_keeps_the_rules_of_the_signing_day():
    customer = CustomerFactory(country="US", region="US-CA")
    contract = ContractFactory(
        customer=customer,
        start_date=dt.date(2025, 6, 1),
        end_date=dt.date(2026, 5, 31),
        signed_at=dt.datetime(2025, 7, 1, 5, 0, tzinfo=dt.UTC),  # 30 June in California
    )
    captured = contract_rules_capture(contract=contract)
    assert captured.resolved_on == dt.date(2025, 6, 30)
    assert (captured.country, captured.region) == ("US", "US-CA")
    assert contract_ruleset_snapshot(contract).labels == ["US-CA v1"]
    # The customer moves to France: the signed contract keeps its rules.
    customer.country, customer.region = "FR", ""
    customer.save()
    assert contract_rules_capture(contract=contract).pk == captured.pk
    assert contract_ruleset_snapshot(contract).labels == ["US-CA v1"]
    assert ContractRules.objects.count() == 1


def test_capture_with_an_explicit_day_and_a_snapshot_without_capture():
    customer = CustomerFactory(country="FR", region="")
    contract = ContractFactory(
        customer=customer, start_date=dt.date(2026, 7, 1), end_date=dt.date(2027, 6, 30)
    )
    # Not captured: read from the start date (no signature).
    assert contract_ruleset_snapshot(contract).labels == ["FR v1", "EU v2"]
    captured = contract_rules_capture(contract=contract, on=dt.date(2026, 1, 10))
    assert captured.resolved_on == dt.date(2026, 1, 10)
    assert contract_ruleset_snapshot(contract).labels == ["FR v1", "EU v1"]


def test_a_rule_set_a_contract_was_signed_under_cannot_be_deleted():
    contract = ContractFactory(
        customer=CustomerFactory(country="CN"),
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    contract_rules_capture(contract=contract)
    with pytest.raises(ProtectedError):
        RuleSet.objects.get(jurisdiction__code="CN", version=2).delete()

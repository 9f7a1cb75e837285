"""The retention purge (lifecycle/retention_purge.py): consent records and delivery logs
deleted once the period the rules name is over after the renewal chain ended, never
earlier, never while anything in the chain is live; one log row per run."""

from __future__ import annotations

import datetime as dt
import fnmatch
import importlib
import logging
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings

from compliance.models import Jurisdiction, RuleSet
from compliance.services import contract_rules_capture
from contracts.models import AutoRenewConsent, ContractStatus
from lifecycle.models import RetentionPurge
from lifecycle.retention_purge import retention_purge, retention_verdict
from notifications.models import Message, MessageAttempt, MessageEvent
from notifications.schedule import BEAT_ENTRIES
from payments.models import PaymentMandate
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

S = ContractStatus
LEAP_END = dt.date(2028, 2, 29)


@pytest.fixture(autouse=True)
def shipped_rules(db):
    # A transactional test elsewhere may have flushed what the data migration created.
    importlib.import_module("compliance.migrations.0002_seed_jurisdictions_rulesets").seed(
        apps, None
    )


def _contract(*, country="CN", region="", end=LEAP_END, status=S.EXPIRED, **kw):
    customer = kw.pop("customer", None) or CustomerFactory(country=country, region=region)
    return ContractFactory(
        customer=customer,
        status=status,
        start_date=kw.pop("start", end - dt.timedelta(days=364)),
        end_date=end,
        **kw,
    )


def _consent(contract, *, enabled=True, kind="auto_renew"):
    return AutoRenewConsent.objects.create(
        contract=contract,
        customer=contract.customer,
        kind=kind,
        enabled=enabled,
        text="Renews automatically each year at the then current price.",
        text_version="v1",
        channel="portal",
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0",
    )


def _notice_with_log(contract):
    message = Message.objects.create(
        customer=contract.customer,
        contract=contract,
        to_address="a@example.com",
        channel="email",
        kind="renewal_reminder",
        template_kind="renewal_reminder",
        language="en",
        dedupe_key=f"rem:{contract.pk}",
        status="sent",
        term_end=contract.end_date,
        offset_days=30,
    )
    MessageAttempt.objects.create(message=message, number=1, ok=False, error="timeout")
    MessageAttempt.objects.create(message=message, number=2, ok=True)
    MessageEvent.objects.create(
        message=message, kind="sent", from_status="sending", to_status="sent"
    )
    return message


def test_a_chain_that_ended_on_29_february_is_kept_until_28_february_three_years_on():
    contract = _contract()
    _consent(contract)
    _consent(contract, enabled=False)

    kept = retention_purge(as_of=dt.date(2031, 2, 28))
    assert AutoRenewConsent.objects.filter(contract=contract).count() == 2
    assert kept.consents_deleted == 0 and kept.contracts_purged == 0

    run = retention_purge(as_of=dt.date(2031, 3, 1))
    assert not AutoRenewConsent.objects.filter(contract=contract).exists()
    assert run.consents_deleted == 2 and run.contracts_purged == 1
    assert run.detail["contracts"][contract.number] == {
        "consents": 2,
        "delivery_logs": 0,
        "kept_until": "2031-02-28",
    }
    assert run.finished_at is not None and run.as_of == dt.date(2031, 3, 1)
    assert RetentionPurge.objects.count() == 2


def test_delivery_logs_go_with_the_consents_and_the_notice_and_its_proof_stay():
    contract = _contract()
    _consent(contract)
    message = _notice_with_log(contract)

    run = retention_purge(as_of=dt.date(2031, 3, 1))

    assert run.delivery_logs_deleted == 2
    assert not MessageAttempt.objects.filter(message=message).exists()
    message.refresh_from_db()
    assert message.status == "sent"
    assert MessageEvent.objects.filter(message=message).count() == 1


def test_a_live_successor_keeps_its_predecessors_records_however_old():
    old = _contract(end=dt.date(2020, 2, 29), status=S.RENEWED)
    _consent(old)
    ContractFactory(
        customer=old.customer,
        predecessor=old,
        status=S.ACTIVE,
        start_date=dt.date(2020, 3, 1),
        end_date=dt.date(2040, 2, 28),
    )

    run = retention_purge(as_of=dt.date(2035, 1, 1))

    assert run.consents_deleted == 0
    assert AutoRenewConsent.objects.filter(contract=old).count() == 1
    assert retention_verdict(old, as_of=dt.date(2035, 1, 1)).reason == "live"


def test_the_period_runs_from_the_end_of_the_last_contract_of_the_chain():
    first = _contract(end=dt.date(2027, 2, 28), status=S.RENEWED)
    _consent(first)
    ContractFactory(
        customer=first.customer,
        predecessor=first,
        status=S.EXPIRED,
        start_date=dt.date(2027, 3, 1),
        end_date=LEAP_END,
    )

    retention_purge(as_of=dt.date(2031, 2, 28))
    assert AutoRenewConsent.objects.filter(contract=first).exists()
    retention_purge(as_of=dt.date(2031, 3, 1))
    assert not AutoRenewConsent.objects.filter(contract=first).exists()


def test_a_contract_terminated_after_its_end_date_counts_from_the_day_it_ended():
    from django.utils import timezone

    contract = _contract(
        status=S.TERMINATED,
        end=dt.date(2027, 12, 31),
        ended_at=dt.datetime(2028, 2, 29, 12, 0, tzinfo=timezone.get_current_timezone()),
    )
    _consent(contract)

    assert retention_verdict(contract, as_of=dt.date(2031, 2, 28)).purge is False
    assert retention_verdict(contract, as_of=dt.date(2031, 3, 1)).purge is True


def test_without_a_retention_rule_nothing_is_deleted():
    # France's rules name no consent retention period (docs/compliance.md).
    contract = _contract(country="FR", end=dt.date(2020, 1, 31))
    _consent(contract)
    _notice_with_log(contract)

    run = retention_purge(as_of=dt.date(2040, 1, 1))

    assert run.consents_deleted == 0 and run.delivery_logs_deleted == 0
    assert AutoRenewConsent.objects.filter(contract=contract).exists()
    assert retention_verdict(contract, as_of=dt.date(2040, 1, 1)).reason == "no retention rule"


def _jurisdiction_with_retention(code: str, years: int) -> None:
    jurisdiction = Jurisdiction.objects.create(code=code, name=code)
    RuleSet.objects.create(
        jurisdiction=jurisdiction,
        version=1,
        effective_from=dt.date(2020, 1, 1),
        consent_retention_years=years,
        source_citation="Test rule",
        price_change_threshold_percent=Decimal("0"),
    )


def test_a_longer_period_in_the_captured_rules_is_respected():
    _jurisdiction_with_retention("SG", 5)
    contract = _contract(country="SG", start=dt.date(2027, 3, 1))
    contract_rules_capture(contract=contract)
    _consent(contract)

    assert retention_verdict(contract, as_of=dt.date(2033, 2, 28)).purge is False
    verdict = retention_verdict(contract, as_of=dt.date(2033, 3, 1))
    assert verdict.purge is True and verdict.keep_until == dt.date(2033, 2, 28)


def test_a_shorter_rule_never_goes_below_the_three_years_the_product_promises():
    _jurisdiction_with_retention("SG", 1)
    contract = _contract(country="SG")
    _consent(contract)

    assert retention_verdict(contract, as_of=dt.date(2030, 3, 1)).purge is False
    assert retention_verdict(contract, as_of=dt.date(2031, 2, 28)).purge is False
    assert retention_verdict(contract, as_of=dt.date(2031, 3, 1)).purge is True


def test_a_consent_a_payment_method_points_to_is_kept_and_counted():
    contract = _contract()
    given = _consent(contract, kind="payment_method")
    _consent(contract)
    PaymentMandate.objects.create(
        reference="MD-TEST-1",
        customer=contract.customer,
        contract=contract,
        provider="card",
        consent=given,
    )

    run = retention_purge(as_of=dt.date(2031, 3, 1))

    assert run.consents_deleted == 1 and run.consents_kept_for_mandates == 1
    assert list(AutoRenewConsent.objects.filter(contract=contract)) == [given]


def test_a_second_run_finds_nothing_and_a_live_contract_is_not_even_examined(caplog):
    contract = _contract()
    _consent(contract)
    live = _contract(status=S.ACTIVE, end=dt.date(2031, 12, 31))
    _consent(live)

    with caplog.at_level(logging.INFO, logger="lifecycle.retention_purge"):
        first = retention_purge(as_of=dt.date(2031, 3, 1))
    second = retention_purge(as_of=dt.date(2031, 3, 1))

    assert (first.contracts_examined, first.consents_deleted) == (1, 1)
    assert (second.contracts_examined, second.consents_deleted) == (0, 0)
    assert AutoRenewConsent.objects.filter(contract=live).count() == 1
    assert contract.number in caplog.text and "1 consent record(s)" in caplog.text


def test_the_task_runs_daily_on_the_sweeps_queue():
    task = "lifecycle.retention_purge.retention_purge_task"
    (entry,) = [e for e in BEAT_ENTRIES if e.task == task]
    assert entry.crontab is not None and entry.every_seconds is None
    routes = [
        route["queue"]
        for pattern, route in settings.CELERY_TASK_ROUTES.items()
        if fnmatch.fnmatchcase(task, pattern)
    ]
    assert routes[:1] == ["sweeps"]
    from config.celery_app import app

    app.loader.import_default_modules()
    assert task in app.tasks


def test_the_command_runs_the_purge_for_a_date():
    from io import StringIO

    from django.core.management import CommandError, call_command

    contract = _contract()
    _consent(contract)
    out = StringIO()

    call_command("purge_retention", "--as-of", "2031-03-01", stdout=out)

    assert "1 consent record(s)" in out.getvalue()
    assert not AutoRenewConsent.objects.filter(contract=contract).exists()
    with pytest.raises(CommandError):
        call_command("purge_retention", "--as-of", "2031-02-30")


def test_the_purge_log_is_read_only_in_the_admin(admin_client):
    run = retention_purge(as_of=dt.date(2031, 3, 1))

    listing = admin_client.get("/admin/lifecycle/retentionpurge/")
    assert listing.status_code == 200
    assert admin_client.get("/admin/lifecycle/retentionpurge/add/").status_code == 403
    detail = admin_client.get(f"/admin/lifecycle/retentionpurge/{run.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content

"""The Celery tasks are thin: they parse the date and call one service."""

from __future__ import annotations

import datetime as dt

from lifecycle.end_tasks import process_contract_ends_task
from renewals.models import RenewalCase
from renewals.tasks import open_renewal_cases_task


def test_the_open_cases_task_runs_the_sweep_for_the_given_day(today, renewing_contract):
    assert open_renewal_cases_task("2026-11-21") == 1
    assert open_renewal_cases_task("2026-11-21") == 0
    assert RenewalCase.objects.filter(contract=renewing_contract).exists()


def test_the_open_cases_task_defaults_to_today_and_respects_the_window(
    today, renewing_contract, settings
):
    settings.RENEWDESK = {**settings.RENEWDESK, "RENEWAL_CASE_OPEN_DAYS": 30}
    assert open_renewal_cases_task() == 0  # 40 days to the end, window is 30
    settings.RENEWDESK = {**settings.RENEWDESK, "RENEWAL_CASE_OPEN_DAYS": 45}
    assert open_renewal_cases_task() == 1


def test_the_contract_ends_task_returns_a_json_friendly_report(today, renewing_contract):
    report = process_contract_ends_task((renewing_contract.end_date + dt.timedelta(1)).isoformat())
    assert report["expired"] == 1 and report["as_of"] == "2027-01-01"


def test_the_dunning_task_reminds_about_an_overdue_invoice(db, monkeypatch):
    from decimal import Decimal

    from billing.services import invoice_issue
    from billing.tasks import send_dunning_reminders_task
    from tests.factories import CustomerFactory

    monkeypatch.setattr("notifications.customer_messages._enqueue_now", lambda **kw: None)
    invoice_issue(
        customer=CustomerFactory(),
        amount=Decimal("10"),
        issue_date=dt.date(2026, 10, 1),
        due_date=dt.date(2026, 10, 15),
    )
    assert send_dunning_reminders_task("2026-11-21") == 1
    assert send_dunning_reminders_task("2026-11-21") == 0

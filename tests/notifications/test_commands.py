from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from notifications.models import Message
from tests.factories import StaffFactory


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_send_reminders_creates_what_is_due_for_the_given_date_and_is_repeatable(make_contract):
    contract = make_contract(15)

    first = run("send_reminders", "--as-of", "2026-06-01")
    second = run("send_reminders", "--as-of", "2026-06-01")

    assert "created 1 messages" in first
    # the first run moved the contract's schedule to its 7-day reminder: nothing is due
    assert "0 contracts due" in second and "created 0 messages" in second
    assert Message.objects.get(contract=contract).offset_days == 15


def test_send_reminders_reports_what_it_wrote(make_contract):
    make_contract(20)  # caught up late: the 30-day reminder at 20 days
    make_contract(7, manager=StaffFactory(team_lead=StaffFactory()))  # escalated

    first = run("send_reminders", "--as-of", "2026-06-01")
    again = run("send_reminders", "--as-of", "2026-06-01")

    assert "created 2 messages (late: 1) and 3 staff tasks (escalations: 1)" in first
    assert "created 0 messages (late: 0) and 0 staff tasks (escalations: 0)" in again


def test_send_reminders_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="--as-of"):
        run("send_reminders", "--as-of", "31/05/2026")


def test_deliver_messages_delivers_the_outbox_and_says_so(make_contract, smtp_server):
    make_contract(30)
    run("send_reminders", "--as-of", "2026-06-01")

    out = run("deliver_messages")

    assert "delivered 1" in out and "failed 0" in out
    assert len(smtp_server.messages) == 1

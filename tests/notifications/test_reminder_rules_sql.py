# ruff: noqa: S608 -- SQL fragments under test, values as parameters
"""The SQL renderings of the reminder rules (rules.py) answer as their Python versions: the
set-based sweep on PostgreSQL and the SQLite path of `make run` apply one rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from notifications.reminders.rules import (
    CHANNELS_SQL,
    DUE_OFFSET_SQL,
    REMINDER_DEDUPE_KEY_SQL,
    channels_for,
    due_offset,
    reminder_dedupe_key,
)

pytestmark = pytest.mark.django_db


def _sql(sql: str, params: dict | list | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.parametrize("offsets", [[30, 15, 7], [45, 30, 15, 7, 1], [7]])
def test_the_due_offset_in_sql_is_the_python_rule(offsets):
    days = list(range(-2, 50))
    expr = DUE_OFFSET_SQL.format(offsets="%(offsets)s::int[]", days_left="d")
    rows = _sql(
        f"SELECT d, {expr} FROM unnest(%(days)s::int[]) d", {"offsets": offsets, "days": days}
    )

    assert dict(rows) == {d: due_offset(d, offsets) for d in days}


def test_the_dedupe_key_in_sql_is_the_python_key():
    expr = REMINDER_DEDUPE_KEY_SQL.format(
        contract_id="12",
        term_end="'2026-03-01'::date",
        offset="15",
        channel="'sms'",
        customer_id="7",
    )

    assert _sql(f"SELECT {expr}") == [
        (
            reminder_dedupe_key(
                contract_id=12,
                term_end=dt.date(2026, 3, 1),
                offset=15,
                channel="sms",
                customer_id=7,
            ),
        )
    ]


@pytest.mark.parametrize("notify_email", [True, False])
@pytest.mark.parametrize("notify_sms", [True, False])
@pytest.mark.parametrize("notify_in_app", [True, False])
@pytest.mark.parametrize(("email", "phone"), [("a@example.com", "138"), ("", "138"), ("", "")])
def test_the_channels_in_sql_are_the_python_choice(
    notify_email, notify_sms, notify_in_app, email, phone
):
    rows = _sql(
        "SELECT ch.channel, ch.address FROM (SELECT %(ne)s AS notify_email, %(ns)s AS notify_sms,"
        " %(ni)s AS notify_in_app) d"
        " CROSS JOIN (SELECT NULLIF(%(em)s, '') AS email) em"
        " CROSS JOIN (SELECT NULLIF(%(ph)s, '') AS phone) ph"
        " CROSS JOIN LATERAL " + CHANNELS_SQL + " WHERE ch.wanted ORDER BY 1",
        {
            "ne": notify_email,
            "ns": notify_sms,
            "ni": notify_in_app,
            "em": email,
            "ph": phone,
            "email": "email",
            "sms": "sms",
            "in_app": "in_app",
        },
    )

    expected = channels_for(
        notify_email=notify_email,
        notify_sms=notify_sms,
        notify_in_app=notify_in_app,
        email=email,
        phone=phone,
    )
    assert rows == sorted(expected)

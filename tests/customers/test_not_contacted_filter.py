"""The customer list's "not contacted in N days" filter (customers/forms.py with
relations.selectors.not_contacted_in): no call, visit, e-mail or meeting in the last N
days; a note is not a contact; combined with a saved segment; bad input is a message in
the user's language, never a 500; the CSV export follows the same filter."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from contracts.models import ContractStatus
from insights.models import Interaction, InteractionKind
from relations.segment_criteria import SegmentCriteria
from relations.segments import segment_save
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _contact(customer, kind, days_ago):
    Interaction.objects.create(
        customer=customer, kind=kind, at=NOW - dt.timedelta(days=days_ago), summary="x"
    )


def _in_care(**kwargs):
    # The filter counts customers with a contract in force (relations.selectors.not_contacted_in;
    # tests/relations/test_not_contacted_population.py covers the others).
    customer = CustomerFactory(**kwargs)
    ContractFactory(customer=customer, status=ContractStatus.ACTIVE, end_date=dt.date(2027, 6, 30))
    return customer


@pytest.fixture
def book(manager):
    never = _in_care(account_manager=manager, name="Never called", tier="A")
    long_ago = _in_care(account_manager=manager, name="Called long ago", tier="B")
    _contact(long_ago, InteractionKind.CALL, 45)
    recent = _in_care(account_manager=manager, name="Visited lately", tier="A")
    _contact(recent, InteractionKind.VISIT, 10)
    _contact(recent, InteractionKind.CALL, 200)
    noted = _in_care(account_manager=manager, name="Only a note", tier="A")
    _contact(noted, InteractionKind.NOTE, 1)
    # Someone else's customer, never contacted: outside the manager's book.
    CustomerFactory(name="Not mine")
    return {"never": never, "long_ago": long_ago, "recent": recent, "noted": noted}


def _names(response) -> list[str]:
    return sorted(c.name for c in response.context["page_obj"].object_list)


def test_it_lists_the_customers_without_a_contact_in_the_last_n_days(client, manager, book):
    client.force_login(manager)

    thirty = client.get(reverse("customers:list"), {"not_contacted": "30"})
    sixty = client.get(reverse("customers:list"), {"not_contacted": "60"})
    everyone = client.get(reverse("customers:list"))

    assert _names(thirty) == ["Called long ago", "Never called", "Only a note"]
    assert _names(sixty) == ["Never called", "Only a note"]
    assert len(everyone.context["page_obj"].object_list) == 4
    assert ">Reset</a>" in thirty.text and ">Reset</a>" not in everyone.text


def test_the_boundary_day_counts_as_contacted(client, manager, book):
    # The call 45 days ago falls on the first day of a 45-day window: contacted.
    client.force_login(manager)

    assert "Called long ago" not in _names(
        client.get(reverse("customers:list"), {"not_contacted": "45"})
    )
    assert "Called long ago" in _names(
        client.get(reverse("customers:list"), {"not_contacted": "44"})
    )


def test_it_combines_with_a_saved_segment_and_the_export(client, manager, book):
    segment = segment_save(
        by=manager, name="Tier A", criteria=SegmentCriteria(tiers=("A",)), shared=False
    )
    client.force_login(manager)
    query = {"not_contacted": "30", "segment": segment.pk}

    page = client.get(reverse("customers:list"), query)
    export = client.get(reverse("insights:customers-export"), query)

    assert _names(page) == ["Never called", "Only a note"]
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted(row[1] for row in rows[1:]) == ["Never called", "Only a note"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter a number of days from 1 to 3650."),
        ("zh-hans", "请输入 1 到 3650 之间的天数。"),
    ],
)
@pytest.mark.parametrize("value", ["0", "99999", "-3"])
def test_out_of_range_days_say_so_and_keep_the_other_filters(
    client, manager, book, language, message, value
):
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get(reverse("customers:list"), {"not_contacted": value, "tier": "B"})

    assert response.status_code == 200
    assert message in response.text
    assert _names(response) == ["Called long ago"]


def test_text_instead_of_days_is_a_message_not_a_500(client, manager, book):
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get(reverse("customers:list"), {"not_contacted": "九十"})

    assert response.status_code == 200
    assert "请输入天数。" in response.text
    assert "未联系天数" in response.text

"""Points ledger reasons in the reader's language (issue 16 point 3): an earning, an
expiry or a redemption keeps a reason code and its parameters and is worded when shown,
so a row written while Chinese was active reads in English for an English reader (and
the other way round); a staff adjustment's reason stays as typed; a row from before the
codes shows its stored text."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from loyalty import services
from loyalty.models import EntryKind, PointsEntry, ReasonCode, Trigger, reason_text
from tests.factories import PortalAccountFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 5, 20)


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC), tick=False):
        yield DAY


def _earned_in_chinese(customer, rules):
    with translation.override("zh-hans"):
        services.points_earn(
            customer=customer,
            trigger=Trigger.RENEWAL,
            subject="contract:7",
            on=dt.date(2025, 1, 10),
            reason_code=ReasonCode.RENEWAL,
            reason_params={"number": "CT-2025-000007"},
        )
        services.points_earn(
            customer=customer,
            trigger=Trigger.TENURE,
            subject="customer:1:year:2",
            on=dt.date(2025, 2, 1),
            reason_code=ReasonCode.TENURE,
            reason_params={"years": 2},
        )
        services.points_expire(customer=customer, on=dt.date(2027, 3, 1))


def _reasons(customer, language):
    with translation.override(language):
        return [e.display_reason for e in PointsEntry.objects.filter(customer=customer)]


def test_coded_reasons_read_in_each_readers_language(customer, rules):
    _earned_in_chinese(customer, rules)

    assert _reasons(customer, "en") == [
        "Points expired",
        "2 years as a customer",
        "Renewal of contract CT-2025-000007",
    ]
    assert _reasons(customer, "zh-hans") == ["积分过期", "合作满 2 年", "合同 CT-2025-000007 续约"]
    # stored in English for the audit trail, whatever language was active
    assert PointsEntry.objects.get(reason_code=ReasonCode.EXPIRY).reason == "Points expired"


def test_the_services_write_codes_for_every_occasion(customer, rules, discount_reward, frozen):
    with translation.override("zh-hans"):
        services.points_adjust(customer=customer, points=500, reason="开业礼", by=None, on=DAY)
        services.reward_redeem(customer=customer, reward=discount_reward, on=DAY)

    redeem = PointsEntry.objects.get(kind=EntryKind.REDEEM)
    assert redeem.reason_code == ReasonCode.REDEMPTION
    with translation.override("en"):
        assert redeem.display_reason == "2% off the next renewal"
    with translation.override("zh-hans"):
        assert redeem.display_reason == "续约再减 2%"
    # a staff adjustment: as typed, in both languages
    assert _reasons(customer, "en")[-1] == _reasons(customer, "zh-hans")[-1] == "开业礼"


def test_a_row_without_a_code_shows_its_stored_text(customer):
    PointsEntry.objects.create(
        customer=customer, kind=EntryKind.EARN, points=10, on=DAY, reason="发票 INV-1 按时付款"
    )

    assert _reasons(customer, "en") == ["发票 INV-1 按时付款"]


@pytest.mark.parametrize(
    ("language", "expected", "not_expected"),
    [
        ("en", "Renewal of contract CT-2025-000007", "合同 CT-2025-000007 续约"),
        ("zh-hans", "合同 CT-2025-000007 续约", "Renewal of contract CT-2025-000007"),
    ],
)
def test_the_portal_history_reads_in_the_customers_language(
    client, customer, rules, language, expected, not_expected, frozen
):
    _earned_in_chinese(customer, rules)
    user = UserFactory()
    PortalAccountFactory(user=user, customer=customer)
    client.force_login(user)
    client.cookies["django_language"] = language

    html = client.get(reverse("portal:rewards"), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert expected in html and not_expected not in html


@pytest.mark.parametrize(
    ("language", "expected", "not_expected"),
    [("en", "Points expired", "积分过期"), ("zh-hans", "积分过期", "Points expired")],
)
def test_the_staff_ledger_reads_in_the_staff_users_language(
    client, customer, rules, language, expected, not_expected, frozen
):
    _earned_in_chinese(customer, rules)
    client.force_login(StaffFactory(is_superuser=True))
    client.cookies["django_language"] = language

    html = client.get(
        reverse("loyalty:customer", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()

    assert expected in html and not_expected not in html


@pytest.mark.parametrize(
    ("years", "english", "chinese"),
    [(1, "1 year as a customer", "合作满 1 年"), (3, "3 years as a customer", "合作满 3 年")],
)
def test_tenure_reads_in_the_right_plural(years, english, chinese):
    with translation.override("en"):
        assert reason_text(code=ReasonCode.TENURE, params={"years": years}) == english
    with translation.override("zh-hans"):
        assert reason_text(code=ReasonCode.TENURE, params={"years": years}) == chinese


def test_a_tenure_with_unusable_years_falls_back_to_the_stored_text():
    assert reason_text(code=ReasonCode.TENURE, params={"years": "many"}) is None
    assert reason_text(code=ReasonCode.TENURE, params={}) is None

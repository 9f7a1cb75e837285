"""A level's extra service (issue 16 point 3): the privilege names the product it gives
(the admin refuses one that does not, in both languages), the member's quote gets a
benefit row for it once, and the row's reason and the complimentary line's text read in
the reader's / the customer's language. The quote and the next renewal are tested in
tests/renewals/test_extra_service_renewal.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from contracts.models import Plan, PlanPrice
from loyalty import services
from loyalty.models import EntryKind, PointsEntry, Privilege, PrivilegeKind, QuoteBenefit
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 21)


@pytest.fixture
def service_plan(db):
    return PlanFactory(code="SVC-HEALTH", name="系统健康检查", price=Decimal("800.00"))


@pytest.fixture
def extra_service(levels, service_plan):
    return Privilege.objects.create(
        level=levels["gold"],
        kind=PrivilegeKind.EXTRA_SERVICE,
        plan=service_plan,
        quantity=Decimal("2"),
        description="每季度一次系统健康检查",
        description_en="A system health check every quarter",
    )


def _gold(customer):
    PointsEntry.objects.create(
        customer=customer, kind=EntryKind.ADJUST, points=1200, on=dt.date(2026, 6, 1), reason="t"
    )


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "An extra service must say which service it gives: choose its product."),
        ("zh-hans", "额外服务必须说明赠送哪项服务：请选择对应的产品。"),
    ],
)
def test_an_extra_service_without_a_product_is_refused(levels, language, message):
    privilege = Privilege(level=levels["gold"], kind=PrivilegeKind.EXTRA_SERVICE)

    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            privilege.full_clean()
        # (lazy messages: read in the language they are shown in)
        assert refused.value.message_dict["plan"] == [message]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Only an extra service gives a product: leave the product empty."),
        ("zh-hans", "只有额外服务才赠送产品：请将产品留空。"),
    ],
)
def test_another_kind_with_a_product_is_refused(levels, service_plan, language, message):
    privilege = Privilege(
        level=levels["gold"],
        kind=PrivilegeKind.RENEWAL_DISCOUNT,
        discount_percent=Decimal("5"),
        plan=service_plan,
    )

    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            privilege.full_clean()
        # (lazy messages: read in the language they are shown in)
        assert refused.value.message_dict["plan"] == [message]


def test_an_extra_service_with_its_product_is_valid(levels, service_plan):
    Privilege(
        level=levels["gold"], kind=PrivilegeKind.EXTRA_SERVICE, plan=service_plan
    ).full_clean()


def _level_post(level, *, plan: str) -> dict[str, str]:
    """The level's change form as the admin posts it: its privileges as they are (the
    formset's initial forms come first), then a new extra service."""
    data = {
        "code": level.code,
        "name": level.name,
        "name_en": level.name_en,
        "min_points": str(level.min_points),
        "privileges-MIN_NUM_FORMS": "0",
        "privileges-MAX_NUM_FORMS": "1000",
    }
    existing = list(level.privileges.all())
    for i, privilege in enumerate(existing):
        data.update(
            {
                f"privileges-{i}-id": str(privilege.pk),
                f"privileges-{i}-level": str(level.pk),
                f"privileges-{i}-kind": privilege.kind,
                f"privileges-{i}-discount_percent": str(privilege.discount_percent),
                f"privileges-{i}-response_hours": str(privilege.response_hours or ""),
                f"privileges-{i}-plan": "",
                f"privileges-{i}-quantity": "1",
                f"privileges-{i}-description": "",
                f"privileges-{i}-description_en": "",
            }
        )
    n = len(existing)
    data.update(
        {
            "privileges-TOTAL_FORMS": str(n + 1),
            "privileges-INITIAL_FORMS": str(n),
            f"privileges-{n}-kind": "extra_service",
            f"privileges-{n}-discount_percent": "0",
            f"privileges-{n}-response_hours": "",
            f"privileges-{n}-plan": plan,
            f"privileges-{n}-quantity": "1",
            f"privileges-{n}-description": "每季度一次系统健康检查",
            f"privileges-{n}-description_en": "",
        }
    )
    return data


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "An extra service must say which service it gives: choose its product."),
        ("zh-hans", "额外服务必须说明赠送哪项服务：请选择对应的产品。"),
    ],
)
def test_the_level_admin_says_what_is_missing_and_saves_with_a_product(
    admin_client, levels, service_plan, language, message
):
    gold = levels["gold"]
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("admin:loyalty_level_change", args=[gold.pk])

    refused = admin_client.post(url, _level_post(gold, plan=""), HTTP_ACCEPT_LANGUAGE=language)

    assert refused.status_code == 200
    assert message in refused.content.decode()
    assert not gold.privileges.filter(kind=PrivilegeKind.EXTRA_SERVICE).exists()

    saved = admin_client.post(
        url, _level_post(gold, plan=str(service_plan.pk)), HTTP_ACCEPT_LANGUAGE=language
    )

    assert saved.status_code == 302
    assert gold.privileges.get(kind=PrivilegeKind.EXTRA_SERVICE).plan == service_plan


# --- the quote's benefit rows --------------------------------------------------------------


def test_a_gold_members_quote_records_the_service_once(customer, extra_service, service_plan):
    _gold(customer)

    first = services.quote_benefits_apply(customer=customer, quote_ref="QT-2026-000001", on=ON)
    again = services.quote_benefits_apply(customer=customer, quote_ref="QT-2026-000001", on=ON)

    # the service adds nothing to the discount
    assert first.discount_percent == again.discount_percent == Decimal("5")
    (service,) = first.services
    assert (service.plan, service.quantity) == (service_plan, Decimal("2"))
    assert service.privilege == extra_service and service.discount_percent == Decimal("0")
    assert [b.pk for b in again.services] == [service.pk]
    assert QuoteBenefit.objects.filter(quote_ref="QT-2026-000001").count() == 2


def test_a_silver_member_gets_no_service(customer, extra_service):
    PointsEntry.objects.create(
        customer=customer, kind=EntryKind.ADJUST, points=400, on=dt.date(2026, 6, 1), reason="t"
    )

    applied = services.quote_benefits_apply(customer=customer, quote_ref="QT-2026-000002", on=ON)

    assert applied.services == []


def test_an_extra_service_saved_without_a_product_gives_nothing(customer, levels):
    """A row written around the admin's check cannot become a line nobody recognises."""
    Privilege.objects.create(level=levels["gold"], kind=PrivilegeKind.EXTRA_SERVICE)
    _gold(customer)

    applied = services.quote_benefits_apply(customer=customer, quote_ref="QT-2026-000003", on=ON)

    assert applied.services == []


def test_the_reason_and_the_line_read_in_each_language(customer, extra_service):
    _gold(customer)
    (service,) = services.quote_benefits_apply(
        customer=customer, quote_ref="QT-2026-000004", on=ON
    ).services

    with translation.override("en"):
        assert service.reason == (
            "Included free of charge: A system health check every quarter, member extra "
            "service (Gold)"
        )
    with translation.override("zh-hans"):
        assert service.reason == "免费提供：每季度一次系统健康检查（金卡专享服务）"
    # the line is written once, in the language asked for, whatever the active one
    with translation.override("en"):
        assert (
            services.complimentary_line_description(benefit=service, language="zh-hans")
            == "每季度一次系统健康检查（会员礼遇·金卡，免费）"
        )
    assert services.complimentary_line_description(benefit=service, language="en") == (
        "A system health check every quarter (complimentary: member privilege of the Gold level)"
    )


def test_a_service_without_a_description_is_named_by_its_product(levels, service_plan):
    privilege = Privilege.objects.create(
        level=levels["gold"], kind=PrivilegeKind.EXTRA_SERVICE, plan=service_plan
    )

    with translation.override("en"):
        assert privilege.display_description == "系统健康检查"


def test_a_complimentary_line_is_a_line_of_the_product_at_price_0_once_per_benefit(
    service_plan,
):
    benefit = QuoteBenefit(plan=service_plan, quantity=Decimal("1"))
    paid = SimpleNamespace(pk=1, plan_id=service_plan.pk, unit_price=Decimal("3200.00"))
    free = SimpleNamespace(pk=2, plan_id=service_plan.pk, unit_price=Decimal("0.00"))
    also_free = SimpleNamespace(pk=3, plan_id=service_plan.pk, unit_price=Decimal("0"))

    matched = services.complimentary_matches(benefits=[benefit], lines=[paid, free, also_free])

    assert list(matched) == [2]
    assert services.complimentary_matches(benefits=[benefit], lines=[paid]) == {}


# --- the demo ------------------------------------------------------------------------------


def test_the_demos_extra_services_give_a_product_of_the_catalogue(time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC), tick=False)
    call_command("seed_demo", "--customers", "4", "--contracts", "6", stdout=open("/dev/null", "w"))  # noqa: SIM115

    services_given = Privilege.objects.filter(kind=PrivilegeKind.EXTRA_SERVICE)
    assert {p.level.code: p.plan.code for p in services_given} == {
        "gold": "SVC-HEALTH",
        "platinum": "SVC-CSM",
    }
    assert all(p.plan.is_active and p.full_clean() is None for p in services_given)
    # priced like the rest of the catalogue, next year's rise included
    assert PlanPrice.objects.filter(effective_from=dt.date(2027, 1, 1)).count() == (
        Plan.objects.count()
    )

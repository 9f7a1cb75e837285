"""A customer's own contact cadences, set by the account manager from the customer page
(issue 16 point 1, "overridable per customer"): add, change, remove, switch a kind off;
only within the user's book; errors in the user's language; the daily plan follows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from relations.contact_plans import contact_plan_sweep
from relations.models import ContactCadence, PlannedContact
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 15)


def staff_client(user, language="en"):
    user.language = language
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def plan_url(customer):
    return reverse("relations:customer-contact-plan", args=[customer.pk])


def save_url(customer, kind):
    return reverse("relations:customer-cadence-save", args=[customer.pk, kind])


def remove_url(customer, kind):
    return reverse("relations:customer-cadence-remove", args=[customer.pk, kind])


def cadence_post(kind, **values):
    data = {"every": "10", "unit": "days", "lead_days": "3", "estimate_minutes": "45"}
    data.update({k: str(v) for k, v in values.items()})
    return {f"{kind}-{k}": v for k, v in data.items()}


@pytest.fixture
def manager():
    return StaffFactory()


@pytest.fixture
def customer(in_care, manager):
    return in_care(manager, tier="A", name="Acme")


def test_the_customer_page_links_to_the_contact_plan(manager, customer):
    page = staff_client(manager).get(reverse("customers:detail", args=[customer.pk]))

    assert page.status_code == 200
    assert plan_url(customer) in page.content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Contact plan of Acme", "every 30 days", "As the tier", "Not planned"]),
        ("zh-hans", ["联系计划", "每 30 天", "沿用等级设置", "不安排"]),
    ],
)
def test_the_page_lists_the_tier_cadences_beside_the_customer_own(
    manager, customer, gold_cadences, language, words
):
    response = staff_client(manager, language).get(plan_url(customer))

    assert response.status_code == 200
    page = response.content.decode()
    for word in words:
        assert word in page


def test_a_manager_sets_a_cadence_for_their_customer(manager, customer, gold_cadences):
    client = staff_client(manager)

    response = client.post(save_url(customer, "call"), cadence_post("call"))

    assert response.status_code == 302 and response.url == plan_url(customer)
    row = ContactCadence.objects.get(customer=customer, kind="call")
    assert (row.every, row.unit, row.lead_days, row.estimate_minutes, row.active) == (
        10,
        "days",
        3,
        45,
        True,
    )
    assert row.tier == ""
    page = client.get(plan_url(customer)).content.decode()
    assert "Call plan for Acme saved." in page
    assert "every 10 days" in page
    # The tier's row is untouched.
    assert ContactCadence.objects.get(tier="A", kind="call").every == 30


def test_a_second_save_changes_the_customer_row(manager, customer):
    client = staff_client(manager)
    client.post(save_url(customer, "visit"), cadence_post("visit"))

    client.post(save_url(customer, "visit"), cadence_post("visit", every=2, unit="months"))

    row = ContactCadence.objects.get(customer=customer, kind="visit")
    assert (row.every, row.unit) == (2, "months")
    assert ContactCadence.objects.filter(customer=customer).count() == 1


def test_removing_the_customer_row_brings_back_the_tier_plan(manager, customer, gold_cadences):
    client = staff_client(manager)
    client.post(save_url(customer, "call"), cadence_post("call"))

    response = client.post(remove_url(customer, "call"))

    assert response.status_code == 302 and response.url == plan_url(customer)
    assert not ContactCadence.objects.filter(customer=customer).exists()
    page = client.get(plan_url(customer)).content.decode()
    assert "Call: Acme follows the tier&#x27;s plan again." in page


def test_the_daily_plan_follows_the_customer_cadences(manager, customer, gold_cadences):
    client = staff_client(manager)
    # Visits switched off for this customer; reviews, which the tier does not plan, on.
    client.post(save_url(customer, "visit"), cadence_post("visit", switched_off="on"))
    client.post(save_url(customer, "review"), cadence_post("review", every=6, unit="months"))

    contact_plan_sweep(as_of=DAY)

    assert sorted(
        PlannedContact.objects.filter(customer=customer).values_list("kind", flat=True)
    ) == [
        "call",
        "review",
    ]
    review = PlannedContact.objects.get(customer=customer, kind="review")
    assert review.task.estimate_minutes == 45


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Enter a number from 1 to 3650."), ("zh-hans", "请输入 1 到 3650 之间的数字。")],
)
def test_a_refused_cadence_says_why_in_the_user_language(manager, customer, language, message):
    client = staff_client(manager, language)

    response = client.post(save_url(customer, "call"), cadence_post("call", every=0))

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'aria-invalid="true"' in page
    assert not ContactCadence.objects.filter(customer=customer).exists()


def test_a_missing_number_is_refused_in_chinese(manager, customer):
    client = staff_client(manager, "zh-hans")

    response = client.post(save_url(customer, "call"), cadence_post("call", lead_days=""))

    assert response.status_code == 400
    assert "请填写提前多少天安排联系。" in response.content.decode()


def test_a_customer_outside_the_book_answers_404(manager, in_care, gold_cadences):
    other = in_care(StaffFactory(), tier="A")
    ContactCadence.objects.create(customer=other, kind="call", every=7)
    client = staff_client(manager)

    assert client.get(plan_url(other)).status_code == 404
    assert client.post(save_url(other, "visit"), cadence_post("visit")).status_code == 404
    assert client.post(remove_url(other, "call")).status_code == 404
    assert list(ContactCadence.objects.filter(customer=other).values_list("kind", flat=True)) == [
        "call"
    ]


def test_a_team_lead_sets_a_cadence_for_any_book(in_care):
    lead = StaffFactory(is_superuser=True)
    customer = in_care(StaffFactory(), tier="B")

    response = staff_client(lead).post(save_url(customer, "call"), cadence_post("call"))

    assert response.status_code == 302
    assert ContactCadence.objects.filter(customer=customer, kind="call").exists()


def test_an_unknown_kind_answers_404(manager, customer):
    response = staff_client(manager).post(save_url(customer, "dinner"), cadence_post("dinner"))

    assert response.status_code == 404
    assert not ContactCadence.objects.exists()


def test_the_page_and_the_saves_need_a_staff_login(customer):
    client = Client()

    assert client.get(plan_url(customer)).status_code in (302, 403)
    assert client.post(save_url(customer, "call"), cadence_post("call")).status_code in (302, 403)
    assert not ContactCadence.objects.exists()


def test_a_get_writes_nothing(manager, customer, gold_cadences):
    staff_client(manager).get(plan_url(customer) + "?call-every=5")

    assert not ContactCadence.objects.filter(customer=customer).exists()

"""The service-level pages: staff add indicators to a draft quote and see them on the case
page, record values and decide claims on the contract's page; the customer sees the
indicators on the renewal offer and files a claim on their contract's page. Both
languages; another customer's or another book's rows answer 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from billing.models import CreditNote
from relations.compensation_claims import claim_file
from relations.models import ClaimStatus, CompensationClaim, ServiceIndicator, ServiceMeasurement
from relations.service_levels import measurement_record
from tests.factories import PortalAccountFactory, StaffFactory, UserFactory

from .sla_world import agreed, renewal

pytestmark = [pytest.mark.django_db]
D = dt.date
# A day in March 2028: January and February have begun (and ended).
MARCH = dt.datetime(2028, 3, 10, 10, tzinfo=dt.UTC)

INDICATOR_POST = {
    "kind": "uptime_percent",
    "target": "99.9",
    "period": "monthly",
    "compensation_rule": "percent_of_fee",
    "compensation_value": "10",
    "compensation_cap": "1000",
}


@pytest.fixture
def frozen():
    with time_machine.travel(MARCH, tick=False):
        yield


def chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


def test_staff_add_an_indicator_and_the_case_page_shows_it(client, frozen):
    world = renewal()
    client.force_login(world["manager"])
    url = reverse("relations:quote-indicator-add", args=[world["quote"].pk])
    response = client.post(url, INDICATOR_POST)
    assert response.status_code == 302
    assert ServiceIndicator.objects.get().target == Decimal("99.9")
    page = client.get(reverse("renewals:case", args=[world["case"].pk])).text
    assert "Service levels" in page and "≥ 99.9 %" in page
    assert "Per breach 10% of the period's fee" in page
    chinese(client)
    page = client.get(reverse("relations:quote-service-levels", args=[world["quote"].pk])).text
    assert "服务水平" in page and "添加到报价" in page


def test_a_bad_indicator_keeps_what_was_typed_and_says_why_in_both_languages(client, frozen):
    world = renewal()
    client.force_login(world["manager"])
    url = reverse("relations:quote-indicator-add", args=[world["quote"].pk])
    response = client.post(url, {**INDICATOR_POST, "target": "101"})
    assert response.status_code == 400
    assert "An uptime target is a percentage between 0 and 100." in response.text
    assert 'value="101"' in response.text
    chinese(client)
    response = client.post(url, {**INDICATOR_POST, "compensation_cap": "abc"})
    assert response.status_code == 400 and "输入一个数字。" in response.text
    assert not ServiceIndicator.objects.exists()


def test_another_managers_quote_and_contract_answer_404(client, frozen):
    world = renewal()
    client.force_login(StaffFactory())
    assert (
        client.get(reverse("relations:quote-service-levels", args=[world["quote"].pk])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("relations:contract-service-levels", args=[world["successor"].pk])
        ).status_code
        == 404
    )


def test_staff_record_a_breach_and_approve_the_claim_into_a_credit_note(client, frozen):
    world = renewal()
    indicator = agreed(world)
    client.force_login(world["manager"])
    page_url = reverse("relations:contract-service-levels", args=[world["successor"].pk])
    record = reverse("relations:measurement-record", args=[world["successor"].pk, indicator.pk])
    assert 'value="2028-02-01"' in client.get(page_url).text
    response = client.post(record, {"period_start": "2028-02-01", "value": "99.5"}, follow=True)
    assert "missed its target in 2028-02" in response.text
    # a period of the future is not offered, and a bad value is answered, not a 500
    response = client.post(record, {"period_start": "2028-04-01", "value": "99"})
    assert response.status_code == 400 and "Select a valid choice" in response.text
    response = client.post(record, {"period_start": "2028-01-01", "value": "lots"})
    assert response.status_code == 400 and "Enter a number." in response.text
    measurement = ServiceMeasurement.objects.get()
    claim = claim_file(customer=world["customer"], measurement=measurement, reason="Outage")
    page = client.get(page_url).text
    assert "Amount to credit (at most" in page and "CNY 290.00" in page
    approve = reverse("relations:claim-approve", args=[claim.pk])
    response = client.post(approve, {"amount": "300"}, follow=True)
    assert "At most CNY 290.00 is due" in response.text
    response = client.post(approve, {"amount": "250"}, follow=True)
    credit = CreditNote.objects.get()
    assert f"credit note {credit.number} issued" in response.text
    assert credit.amount == Decimal("250.00")
    assert CompensationClaim.objects.get().status == ClaimStatus.CREDITED
    chinese(client)
    assert "已赔付" in client.get(page_url).text


def test_staff_reject_a_claim_with_a_reason(client, frozen):
    world = renewal()
    indicator = agreed(world)
    measurement = measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 2, 1),
        value=Decimal("90"),
        as_of=D(2028, 3, 10),
    )
    claim = claim_file(customer=world["customer"], measurement=measurement, reason="Outage")
    client.force_login(world["manager"])
    reject = reverse("relations:claim-reject", args=[claim.pk])
    response = client.post(reject, {"reason": ""}, follow=True)
    assert "This field is required." in response.text
    client.post(reject, {"reason": "Planned maintenance, announced."})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED and claim.decision_note.startswith("Planned")
    assert "claim" in client.get(reverse("relations:claims")).text.lower()


def portal_login(client, customer):
    user = UserFactory()
    PortalAccountFactory(user=user, customer=customer)
    client.force_login(user)


def test_the_customer_sees_the_indicators_and_files_a_claim(client, frozen):
    world = renewal()
    indicator = agreed(world)
    measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 2, 1),
        value=Decimal("98.5"),
        as_of=D(2028, 3, 10),
    )
    portal_login(client, world["customer"])
    detail = client.get(reverse("portal:contract-detail", args=[world["successor"].pk])).text
    assert "Service levels and compensation" in detail
    url = reverse("portal:service-levels", args=[world["successor"].pk])
    page = client.get(url).text
    assert "98.5 %" in page and "Missed" in page and "Claim compensation" in page
    measurement = ServiceMeasurement.objects.get()
    claim_url = reverse("portal:service-level-claim", args=[world["successor"].pk, measurement.pk])
    response = client.post(claim_url, {"reason": ""})
    assert response.status_code == 400 and "This field is required." in response.text
    response = client.post(claim_url, {"reason": "Down two days."}, follow=True)
    assert "Your claim is filed." in response.text
    assert CompensationClaim.objects.get().reason == "Down two days."
    response = client.post(claim_url, {"reason": "Again"})
    assert response.status_code == 400 and "already filed" in response.text
    chinese(client)
    page = client.get(url).text
    assert "服务水平" in page and "已提交" in page


def test_the_portal_renewal_offer_shows_the_indicators(client, frozen):
    world = renewal()
    agreed(world)
    portal_login(client, world["customer"])
    page = client.get(reverse("portal:renewal", args=[world["predecessor"].pk])).text
    assert "Service levels" in page and "Uptime (%)" in page


def test_another_customers_contract_and_measurement_answer_404(client, frozen):
    world = renewal()
    indicator = agreed(world)
    measurement = measurement_record(
        contract=world["successor"],
        indicator=indicator,
        period_start=D(2028, 2, 1),
        value=Decimal("90"),
        as_of=D(2028, 3, 10),
    )
    other = renewal()
    agreed(other)
    portal_login(client, other["customer"])
    assert (
        client.get(reverse("portal:service-levels", args=[world["successor"].pk])).status_code
        == 404
    )
    # their own contract, someone else's measurement
    url = reverse("portal:service-level-claim", args=[other["successor"].pk, measurement.pk])
    assert client.post(url, {"reason": "mine?"}).status_code == 404
    assert not CompensationClaim.objects.exists()
    # GET never files anything
    assert client.get(url).status_code == 405

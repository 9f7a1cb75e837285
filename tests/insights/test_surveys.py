from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import ContractStatus as S
from core.tokens import token_make
from insights.models import Survey
from insights.surveys import nps_sweep, satisfaction_results, survey_answer, survey_link
from notifications.models import Message
from retention.models import CancellationRequest
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(manager):
    customer = CustomerFactory(account_manager=manager, name="Acme Ltd")
    ContactFactory(customer=customer, email="li@acme.example")
    return customer


def test_a_renewal_sends_a_csat_survey_through_the_outbox_once(
    customer, django_capture_on_commit_callbacks
):
    contract = ContractFactory(customer=customer)
    successor = ContractFactory(customer=customer, predecessor=contract, status=S.SCHEDULED)
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.contract_mark_renewed(contract=contract, successor=successor)
    survey = Survey.objects.get()
    assert (survey.kind, survey.contract) == ("csat_renewal", contract)
    message = Message.objects.get(kind="satisfaction_survey_request")
    assert message.to_address == "li@acme.example"
    assert "/portal/surveys/answer/" in message.body_text
    assert "renewed" in message.body_text


def test_a_terminated_contract_or_a_cancelled_expiry_sends_a_cancellation_csat(
    customer, django_capture_on_commit_callbacks
):
    terminated = ContractFactory(customer=customer)
    cancelled = ContractFactory(customer=customer)
    plain = ContractFactory(customer=customer)
    CancellationRequest.objects.create(
        contract=cancelled,
        customer=customer,
        kind="non_renewal",
        reason="price",
        status="completed",
        sla_due_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.contract_terminate(contract=terminated)
        contract_services.contract_expire(contract=cancelled)
        contract_services.contract_expire(contract=plain)  # no cancellation: no survey
    assert sorted(Survey.objects.values_list("contract_id", "kind")) == sorted(
        [(terminated.pk, "csat_cancellation"), (cancelled.pk, "csat_cancellation")]
    )


def test_it_sends_no_csat_about_a_term_that_ended_long_ago(
    customer, django_capture_on_commit_callbacks
):
    # given history written today about a term that ended in the past (seed_demo, an import)
    today = timezone.localdate()
    old = ContractFactory(
        customer=customer,
        start_date=today - dt.timedelta(days=800),
        end_date=today - dt.timedelta(days=435),
    )
    successor = ContractFactory(customer=customer, predecessor=old, status=S.SCHEDULED)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.contract_mark_renewed(contract=old, successor=successor)
    # then
    assert not Survey.objects.exists()
    assert not Message.objects.filter(kind="satisfaction_survey_request").exists()


def test_the_tokenised_link_shows_the_form_on_get_and_records_on_post(customer):
    survey = Survey.objects.create(customer=customer, kind="nps", dedupe_key="nps:x")
    path = "/" + survey_link(survey).split("/", 3)[3]
    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200
    assert "recommend us" in page.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None  # GET never records
    response = anonymous.post(path, {"score": "9", "comment": "Great"})
    assert "Thank you" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (9, "Great")
    again = anonymous.post(path, {"score": "1"})
    assert "already answered" in again.content.decode()
    survey.refresh_from_db()
    assert survey.score == 9


def test_a_bad_or_foreign_token_and_an_out_of_range_score_are_refused(customer):
    survey = Survey.objects.create(customer=customer, kind="csat_renewal", dedupe_key="c:1")
    client = Client()
    assert client.get("/portal/surveys/answer/not-a-token/").status_code == 400
    renew_token = token_make(purpose="renew", obj_id=survey.pk, max_age=60)
    assert client.get(f"/portal/surveys/answer/{renew_token}/").status_code == 400
    path = "/" + survey_link(survey).split("/", 3)[3]
    response = client.post(path, {"score": "9"})  # CSAT is 1–5
    assert response.status_code == 200
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_portal_user_answers_only_their_own_surveys(customer):
    user = UserFactory(username="ann")
    PortalAccountFactory(user=user, customer=customer)
    mine = Survey.objects.create(customer=customer, kind="nps", dedupe_key="nps:mine")
    other = Survey.objects.create(customer=CustomerFactory(), kind="nps", dedupe_key="nps:other")
    client = Client()
    client.force_login(user)
    listing = client.get(reverse("surveys:list"))
    assert listing.status_code == 200
    assert list(listing.context["open_surveys"]) == [mine]
    assert client.get(reverse("surveys:answer", args=[other.pk])).status_code == 404
    client.post(reverse("surveys:answer", args=[mine.pk]), {"score": "10"})
    mine.refresh_from_db()
    assert mine.score == 10 and mine.answered_by == user


def test_the_nps_sweep_asks_customers_with_an_active_contract_once_per_period(
    customer, settings, django_capture_on_commit_callbacks
):
    settings.RENEWDESK = {**settings.RENEWDESK, "SURVEY_NPS_EVERY_DAYS": 180}
    ContractFactory(customer=customer)
    CustomerFactory()  # no contract: not asked
    with django_capture_on_commit_callbacks(execute=True):
        assert nps_sweep(today=dt.date(2026, 6, 15)) == 1
        assert nps_sweep(today=dt.date(2026, 6, 16)) == 0
    assert Message.objects.filter(kind="satisfaction_survey_request").count() == 1
    settings.RENEWDESK = {**settings.RENEWDESK, "SURVEY_NPS_EVERY_DAYS": 0}
    Survey.objects.all().delete()
    assert nps_sweep(today=dt.date(2026, 6, 15)) == 0


def test_results_per_customer_per_manager_and_overall(customer, manager):
    bob = StaffFactory(username="bob")
    other = CustomerFactory(account_manager=bob)
    answers = [
        (customer, "nps", 10),
        (customer, "nps", 9),
        (customer, "nps", 3),
        (customer, "csat_renewal", 4),
        (other, "nps", 7),
        (other, "csat_cancellation", 2),
        (other, "nps", None),  # sent, not answered
    ]
    for i, (c, kind, score) in enumerate(answers):
        s = Survey.objects.create(customer=c, kind=kind, dedupe_key=f"k{i}")
        if score is not None:
            survey_answer(survey=s, score=score)
    results = satisfaction_results(surveys=Survey.objects.all())
    overall = results["overall"]
    # NPS answers 10, 9, 3, 7: 2 promoters, 1 detractor of 4 → 25
    assert (overall.sent, overall.answered, overall.nps, overall.nps_n) == (7, 6, 25, 4)
    assert overall.csat_avg == 3.0  # (4 + 2) / 2
    assert overall.response_rate == 85.7
    by_manager = {r.key: r for r in results["per_manager"]}
    assert by_manager[manager.pk].nps == 33  # (2 − 1) / 3
    assert by_manager[bob.pk].nps == 0
    by_customer = {r.key: r for r in results["per_customer"]}
    assert by_customer[customer.pk].csat_avg == 4.0


def test_the_staff_results_page_is_scoped_to_the_book(client, customer, manager):
    Survey.objects.create(customer=CustomerFactory(), kind="nps", dedupe_key="other")
    s = Survey.objects.create(customer=customer, kind="nps", dedupe_key="mine")
    survey_answer(survey=s, score=10)
    client.force_login(manager)
    response = client.get(reverse("insights:satisfaction"))
    assert response.status_code == 200
    assert response.context["overall"].sent == 1
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Latest survey answers" in page


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "all your surveys"), ("zh-hans", "查看您的全部调查")],
)
def test_the_survey_email_links_to_the_portal_page_that_lists_the_surveys(
    customer, django_capture_on_commit_callbacks, settings, language, words
):
    settings.SITE_URL = "https://renew.example"
    customer.language = language
    customer.save()
    contract = ContractFactory(customer=customer)
    successor = ContractFactory(customer=customer, predecessor=contract, status=S.SCHEDULED)
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.contract_mark_renewed(contract=contract, successor=successor)

    body = Message.objects.get(kind="satisfaction_survey_request").body_text
    # No menu entry to point at ("under Surveys"): the page's own address instead.
    assert "under Surveys" not in body and "“调查”中" not in body
    assert words in body
    listing_url = "https://renew.example" + reverse("surveys:list")
    assert listing_url in body.split()
    # ... and that page exists and lists the survey for the customer's portal login.
    account = PortalAccountFactory(customer=customer)
    client = Client()
    client.force_login(account.user)
    page = client.get(reverse("surveys:list"))
    assert page.status_code == 200
    assert contract.number in page.content.decode()

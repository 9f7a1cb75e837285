"""The CSAT trigger runs on every contract status change: the changes that never lead to
a survey cost no query, an expiry costs one (the contract with its cancellation check)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import ContractStatus as S
from insights.models import Survey
from insights.surveys import on_contract_status_changed
from notifications.models import Message
from retention.models import CancellationRequest
from tests.factories import ContactFactory, ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(manager):
    customer = CustomerFactory(account_manager=manager)
    ContactFactory(customer=customer, email="li@acme.example")
    return ContractFactory(customer=customer)


def _cancellation(contract) -> None:
    CancellationRequest.objects.create(
        contract=contract,
        customer=contract.customer,
        kind="non_renewal",
        reason="price",
        status="completed",
        sla_due_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    "to_status", [S.AWAITING_SIGNATURE, S.AWAITING_PAYMENT, S.SCHEDULED, S.ACTIVE, S.VOID]
)
def test_a_status_that_never_asks_reads_nothing(contract, to_status, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert on_contract_status_changed(contract_id=contract.pk, to_status=to_status) is None


def test_a_plain_expiry_is_one_query_and_no_survey(contract, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert on_contract_status_changed(contract_id=contract.pk, to_status=S.EXPIRED) is None


def test_an_expiry_a_cancellation_ended_asks_about_the_cancellation(
    contract, django_capture_on_commit_callbacks
):
    _cancellation(contract)
    with CaptureQueriesContext(connection) as queries:
        survey = on_contract_status_changed(contract_id=contract.pk, to_status=S.EXPIRED)

    assert (survey.kind, survey.contract, survey.customer) == (
        "csat_cancellation",
        contract,
        contract.customer,
    )
    # One read decides (contract, customer and the cancellation check together).
    reads = [
        q["sql"] for q in queries.captured_queries if '"retention_cancellationrequest"' in q["sql"]
    ]
    assert len(reads) == 1 and '"contracts_contract"' in reads[0]


@pytest.mark.parametrize(
    ("to_status", "kind"), [(S.RENEWED, "csat_renewal"), (S.TERMINATED, "csat_cancellation")]
)
def test_renewed_and_terminated_still_ask_once(contract, to_status, kind):
    first = on_contract_status_changed(contract_id=contract.pk, to_status=to_status)
    again = on_contract_status_changed(contract_id=contract.pk, to_status=to_status)

    assert first.kind == kind and again.pk == first.pk
    assert Survey.objects.count() == 1


def test_a_missing_contract_or_an_old_term_asks_nothing(contract):
    contract.start_date, contract.end_date = dt.date(2019, 2, 1), dt.date(2020, 1, 31)
    contract.save(update_fields=["start_date", "end_date"])
    _cancellation(contract)

    for to_status in (S.RENEWED, S.TERMINATED, S.EXPIRED):
        assert on_contract_status_changed(contract_id=contract.pk, to_status=to_status) is None
        assert on_contract_status_changed(contract_id=0, to_status=to_status) is None
    assert not Survey.objects.exists()


def test_the_survey_message_is_queued_without_reading_the_survey_again(
    contract, django_capture_on_commit_callbacks
):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        survey = on_contract_status_changed(contract_id=contract.pk, to_status=S.RENEWED)

    message = Message.objects.get(kind="satisfaction_survey_request")
    assert (message.customer, message.contract, message.to_address) == (
        contract.customer,
        contract,
        "li@acme.example",
    )
    assert message.dedupe_key == f"survey:{survey.pk}:email"
    survey_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "insights_survey"' in q["sql"]
    ]
    assert len(survey_reads) == 1  # get_or_create's lookup only

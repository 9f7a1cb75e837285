from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from api.models import IdempotencyKey
from contracts.models import Contract
from customers.models import Customer
from tests.factories import CustomerFactory, StaffFactory

URL = "/api/v1/customers/"


def _post(client, body, key):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_the_same_key_and_body_returns_the_first_response_without_doing_it_again(client_for):
    key = str(uuid.uuid4())
    body = {"code": "IDEM1", "name": "Once"}

    first = _post(client_for, body, key)
    second = _post(client_for, body, key)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(code="IDEM1").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_with_422(client_for):
    key = str(uuid.uuid4())
    _post(client_for, {"code": "IDEM1", "name": "Once"}, key)

    response = _post(client_for, {"code": "IDEM2", "name": "Other"}, key)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not Customer.objects.filter(code="IDEM2").exists()


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_refused_with_422(client_for, manager):
    key = str(uuid.uuid4())
    _post(client_for, {"code": "IDEM1", "name": "Once"}, key)

    response = client_for.post(
        "/api/v1/contacts/",
        {"customer": Customer.objects.get(code="IDEM1").pk, "name": "X"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 422


@pytest.mark.django_db
def test_a_refused_request_is_replayed_as_refused(client_for, manager):
    CustomerFactory(code="TAKEN", account_manager=manager)
    key = str(uuid.uuid4())

    first = _post(client_for, {"code": "TAKEN", "name": "Dup"}, key)
    second = _post(client_for, {"code": "TAKEN", "name": "Dup"}, key)

    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()


@pytest.mark.django_db
def test_keys_belong_to_their_user(client_for, make_client, team_lead):
    key = str(uuid.uuid4())
    _post(client_for, {"code": "IDEM1", "name": "Alice's"}, key)

    response = _post(make_client(team_lead), {"code": "IDEM2", "name": "Lead's"}, key)

    assert response.status_code == 201
    assert IdempotencyKey.objects.filter(key=key).count() == 2


@pytest.mark.django_db
def test_without_a_key_each_post_is_processed(client_for):
    assert client_for.post(URL, {"code": "N1", "name": "x"}, format="json").status_code == 201
    assert client_for.post(URL, {"code": "N1", "name": "x"}, format="json").status_code == 400


@pytest.mark.django_db
def test_an_overlong_key_is_refused(client_for):
    response = _post(client_for, {"code": "L1", "name": "x"}, "k" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_with_the_same_key_create_one_contract():
    from api.services import api_token_create

    manager = StaffFactory(username="racer")
    customer = CustomerFactory(account_manager=manager)
    _token, raw = api_token_create(user=manager, name="race", scope="write")
    body = {
        "customer": customer.pk,
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "lines": [{"description": "Seats", "quantity": "3", "unit_price": "100"}],
    }
    key = str(uuid.uuid4())
    barrier = threading.Barrier(10)
    responses: list = []
    errors: list = []

    def post() -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            barrier.wait()
            responses.append(
                client.post("/api/v1/contracts/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert [r.status_code for r in responses] == [201] * 10
    assert Contract.objects.count() == 1
    number = Contract.objects.get().number
    assert {r.json()["number"] for r in responses} == {number}
    assert sum(1 for r in responses if r.get("Idempotent-Replayed") == "true") == 9


@pytest.mark.django_db
def test_a_key_on_an_endpoint_without_post_is_a_plain_405(client_for):
    response = client_for.post(
        "/api/v1/plans/", {"code": "X"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_keys_are_forgotten_after_a_day(client_for):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from api.services import idempotency_keys_purge

    _post(client_for, {"code": "OLD1", "name": "x"}, "old-key")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=23)):
        assert idempotency_keys_purge() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert idempotency_keys_purge() == 1

    response = _post(client_for, {"code": "OLD2", "name": "y"}, "old-key")
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_server_error_is_not_remembered_so_the_retry_does_the_work(client_for, monkeypatch):
    import api.views.customers as views

    real = views.customer_create

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(views, "customer_create", broken)
    with pytest.raises(RuntimeError):
        _post(client_for, {"code": "R1", "name": "x"}, "retry-key")
    assert not IdempotencyKey.objects.filter(key="retry-key").exists()

    monkeypatch.setattr(views, "customer_create", real)
    response = _post(client_for, {"code": "R1", "name": "x"}, "retry-key")

    assert response.status_code == 201
    assert Customer.objects.filter(code="R1").count() == 1

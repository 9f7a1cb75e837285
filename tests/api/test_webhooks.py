from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from api.tasks import deliver_webhooks_task
from api.webhooks import (
    webhook_delivery_attempt,
    webhook_delivery_resend,
    webhook_endpoint_save,
    webhook_event_emit,
    webhook_sign,
    webhook_verify,
)
from config.celery_app import app as celery_app
from contracts import services
from contracts.models import ContractStatus
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)


class Receiver:
    """A local HTTP endpoint answering with scripted status codes (then 200)."""

    def __init__(self, codes: list[int] | None = None) -> None:
        self.codes = list(codes or [])
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers["Content-Length"])
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": self.rfile.read(length).decode()}
                )
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                if code in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if code == 200 else b"nope")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def eager_celery():
    """Run .delay()/.apply_async() inline, as a worker would, without a broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _endpoint(url: str, events: list[str]) -> WebhookEndpoint:
    return webhook_endpoint_save(endpoint=WebhookEndpoint(url=url, events=events))


def test_an_expired_contract_is_delivered_signed_to_subscribed_endpoints(
    manager, eager_celery, django_capture_on_commit_callbacks
):
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with Receiver() as receiver:
        endpoint = _endpoint(receiver.url, ["contract.expired"])
        _endpoint(receiver.url, ["invoice.paid"])  # not subscribed: gets nothing
        inactive = _endpoint(receiver.url, ["*"])
        inactive.is_active = False
        inactive.save()

        with django_capture_on_commit_callbacks(execute=True):
            services.contract_expire(contract=contract, by=manager)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert webhook_verify(
        secret=endpoint.secret,
        timestamp=headers["X-Renewdesk-Timestamp"],
        body=body,
        signature=headers["X-Renewdesk-Signature"],
    )
    assert not webhook_verify(
        secret="whsec_wrong",
        timestamp=headers["X-Renewdesk-Timestamp"],
        body=body,
        signature=headers["X-Renewdesk-Signature"],
    )
    payload = json.loads(body)
    assert payload["type"] == headers["X-Renewdesk-Event"] == "contract.expired"
    assert payload["id"] == headers["X-Renewdesk-Event-Id"]
    assert payload["data"]["contract"]["number"] == contract.number
    assert payload["data"]["contract"]["status"] == "expired"
    assert (payload["data"]["from_status"], payload["data"]["to_status"]) == ("active", "expired")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()

    assert webhook_sign(secret="s3cret", timestamp=1700000000, body="{}") == f"sha256={expected}"


def test_a_stale_timestamp_does_not_verify():
    old = "1000000000"
    signature = webhook_sign(secret="s", timestamp=old, body="{}")

    assert not webhook_verify(secret="s", timestamp=old, body="{}", signature=signature)


def test_a_receiver_failing_twice_gets_the_event_again_with_backoff_then_it_stops(eager_celery):
    with Receiver([500, 500]) as receiver:
        endpoint = _endpoint(receiver.url, ["invoice.paid"])
        with time_machine.travel(T0):
            (delivery,) = webhook_event_emit(event_type="invoice.paid", data={"n": 1})
            deliver_webhooks_task()  # attempt 1 → 500, retry in 1 minute
        with time_machine.travel(T0 + dt.timedelta(seconds=30)):
            deliver_webhooks_task()  # not due yet
        assert len(receiver.requests) == 1
        with time_machine.travel(T0 + dt.timedelta(seconds=61)):
            deliver_webhooks_task()  # attempt 2 → 500, retry in 2 minutes
        with time_machine.travel(T0 + dt.timedelta(seconds=61 + 100)):
            deliver_webhooks_task()  # not due yet
        assert len(receiver.requests) == 2
        with time_machine.travel(T0 + dt.timedelta(seconds=61 + 121)):
            deliver_webhooks_task()  # attempt 3 → 200
        with time_machine.travel(T0 + dt.timedelta(days=1)):
            deliver_webhooks_task()  # nothing left to do

    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Renewdesk-Event-Id"] for r in receiver.requests}) == 1
    assert len({r["body"] for r in receiver.requests}) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    log = list(delivery.attempt_log.values_list("number", "status_code"))
    assert log == [(1, 500), (2, 500), (3, 200)]
    for request in receiver.requests:
        assert webhook_verify(
            secret=endpoint.secret,
            timestamp=request["headers"]["X-Renewdesk-Timestamp"],
            body=request["body"],
            signature=request["headers"]["X-Renewdesk-Signature"],
            tolerance=10**9,  # the clock was travelled
        )


def test_it_gives_up_after_the_last_attempt(settings):
    settings.API_WEBHOOK_MAX_ATTEMPTS = 2
    with Receiver([500, 503, 500]) as receiver:
        _endpoint(receiver.url, ["invoice.paid"])
        with time_machine.travel(T0):
            (delivery,) = webhook_event_emit(event_type="invoice.paid", data={})
            webhook_delivery_attempt(delivery_id=delivery.pk)
        with time_machine.travel(T0 + dt.timedelta(minutes=5)):
            webhook_delivery_attempt(delivery_id=delivery.pk)
        with time_machine.travel(T0 + dt.timedelta(days=5)):
            assert webhook_delivery_attempt(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 2, 503)
    assert len(receiver.requests) == 2


def test_a_claimed_or_finished_delivery_is_not_attempted_twice():
    with Receiver() as receiver:
        _endpoint(receiver.url, ["invoice.paid"])
        (delivery,) = webhook_event_emit(event_type="invoice.paid", data={})
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            claimed_until=timezone.now() + dt.timedelta(seconds=30)
        )
        assert webhook_delivery_attempt(delivery_id=delivery.pk) is None  # another worker's

        WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_until=None)
        assert webhook_delivery_attempt(delivery_id=delivery.pk) is not None
        assert webhook_delivery_attempt(delivery_id=delivery.pk) is None  # already delivered

    assert len(receiver.requests) == 1


def test_a_crashed_workers_claim_expires():
    with Receiver() as receiver:
        _endpoint(receiver.url, ["invoice.paid"])
        with time_machine.travel(T0):
            (delivery,) = webhook_event_emit(event_type="invoice.paid", data={})
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                claimed_until=T0 + dt.timedelta(seconds=60)
            )
        with time_machine.travel(T0 + dt.timedelta(seconds=61)):
            assert webhook_delivery_attempt(delivery_id=delivery.pk) is not None

    assert len(receiver.requests) == 1


def test_a_refused_connection_is_logged_and_retried():
    _endpoint("http://127.0.0.1:1/nothing-listens-here", ["invoice.paid"])
    with time_machine.travel(T0, tick=False):
        (delivery,) = webhook_event_emit(event_type="invoice.paid", data={})
        attempt = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code is None
    assert "Connection" in attempt.error or "refused" in attempt.error
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at == T0 + dt.timedelta(minutes=1)


def test_a_redirect_is_not_followed_and_counts_as_a_failure():
    with Receiver([302]) as receiver:
        _endpoint(receiver.url, ["invoice.paid"])
        (delivery,) = webhook_event_emit(event_type="invoice.paid", data={})
        attempt = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == 302
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_resend_delivers_the_same_event_again_with_a_fresh_log(eager_celery):
    with Receiver() as receiver:
        _endpoint(receiver.url, ["invoice.paid"])
        (delivery,) = webhook_event_emit(event_type="invoice.paid", data={"x": 1})
        webhook_delivery_attempt(delivery_id=delivery.pk)

        again = webhook_delivery_resend(delivery=delivery)
        deliver_webhooks_task()

    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    again.refresh_from_db()
    assert (again.event_id, again.resent_from, again.status) == (
        delivery.event_id,
        delivery,
        DeliveryStatus.SUCCEEDED,
    )
    assert again.attempt_log.count() == 1


def test_an_event_nobody_subscribed_to_creates_no_delivery():
    _endpoint("http://127.0.0.1:1/", ["contract.renewed"])

    assert webhook_event_emit(event_type="invoice.paid", data={}) == []
    assert not WebhookDelivery.objects.exists()


def test_unknown_events_are_refused():
    with pytest.raises(ValueError):
        webhook_event_emit(event_type="contract.exploded", data={})
    with pytest.raises(ValueError):
        _endpoint("http://127.0.0.1:1/", ["contract.exploded"])


def test_status_changes_without_subscribers_cost_no_delivery(
    manager, django_capture_on_commit_callbacks
):
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)

    with django_capture_on_commit_callbacks(execute=True):
        services.contract_expire(contract=contract, by=manager)

    assert not WebhookDelivery.objects.exists()


@pytest.fixture
def queued(monkeypatch):
    """Deliveries queued for sending (the task itself is not run)."""
    ids: list[int] = []
    monkeypatch.setattr("api.webhooks._enqueue", lambda new: ids.extend(new))
    return ids


def _bodies(event_type: str) -> list[dict]:
    return [json.loads(d.body) for d in WebhookDelivery.objects.filter(event_type=event_type)]


def test_a_payment_that_settles_an_invoice_sends_payment_and_invoice_events(
    manager, queued, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from billing.services import invoice_issue, payment_record

    _endpoint("http://127.0.0.1:1/", ["invoice.paid", "payment.recorded"])
    contract = ContractFactory(customer__account_manager=manager)
    invoice = invoice_issue(
        customer=contract.customer,
        contract=contract,
        amount=Decimal("100.00"),
        due_date=timezone.localdate(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        payment_record(
            invoice=invoice, amount=Decimal("100.00"), method="card", reference="T-1", by=manager
        )

    (paid,) = _bodies("invoice.paid")
    assert paid["data"]["invoice"]["number"] == invoice.number
    assert paid["data"]["invoice"]["status"] == "paid"
    assert paid["data"]["payment"]["reference"] == "T-1"
    (recorded,) = _bodies("payment.recorded")
    assert recorded["data"]["payment"]["amount"] == "100.00"
    assert len(queued) == 2


def test_a_rolled_back_payment_sends_nothing(manager, queued, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from django.db import transaction

    from billing.services import invoice_issue, payment_record

    _endpoint("http://127.0.0.1:1/", ["*"])
    invoice = invoice_issue(
        customer=ContractFactory(customer__account_manager=manager).customer,
        amount=Decimal("5.00"),
        due_date=timezone.localdate(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            payment_record(
                invoice=invoice, amount=Decimal("5.00"), method="cash", reference="R", by=manager
            )
            raise RuntimeError("the surrounding work failed")

    assert not WebhookDelivery.objects.exists()


def test_a_cancellation_request_is_sent_with_its_preview_numbers(
    manager, queued, django_capture_on_commit_callbacks
):
    from retention.services import cancellation_submit

    _endpoint("http://127.0.0.1:1/", ["cancellation.requested"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)

    with django_capture_on_commit_callbacks(execute=True):
        cancellation_submit(contract=contract, kind="early_termination", reason="price", by=manager)

    (sent,) = _bodies("cancellation.requested")
    request = sent["data"]["cancellation_request"]
    assert request["contract_number"] == contract.number
    assert request["preview"]["kind"] == "early_termination"
    assert "fee" in request["preview"]


def test_a_lost_renewal_is_sent(manager, queued, django_capture_on_commit_callbacks):
    from renewals import services as renewal_services

    _endpoint("http://127.0.0.1:1/", ["renewal.lost"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    case, _created = renewal_services.case_open(contract=contract)

    with django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_lose(case=case, reason="price", by=manager)

    (sent,) = _bodies("renewal.lost")
    assert sent["data"]["renewal_case"]["stage"] == "lost"
    assert sent["data"]["renewal_case"]["loss_reason"] == "price"


def test_a_status_change_sends_the_generic_and_the_specific_event(
    manager, queued, django_capture_on_commit_callbacks
):
    _endpoint("http://127.0.0.1:1/", ["*"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)

    with django_capture_on_commit_callbacks(execute=True):
        services.contract_terminate(contract=contract, by=manager, reason="fraud")

    types = sorted(WebhookDelivery.objects.values_list("event_type", flat=True))
    assert types == ["contract.status_changed", "contract.terminated"]
    (body,) = _bodies("contract.terminated")
    assert body["data"]["contract"]["status"] == "terminated"
    assert body["data"]["contract_event_id"] == contract.events.get(kind="terminated").pk

"""The OpenAPI schema is the source of truth: it is valid, complete, and the live API
conforms to it (Schemathesis against a live server on the real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import requests
from django.test import Client

from api.services import api_token_create
from contracts import services
from contracts.models import ContractStatus
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PlanFactory,
    StaffFactory,
    TermsVersionFactory,
)

EXPECTED_PATHS = {
    "/api/v1/customers/",
    "/api/v1/customers/{id}/",
    "/api/v1/contacts/",
    "/api/v1/contacts/{id}/",
    "/api/v1/plans/",
    "/api/v1/plans/{id}/",
    "/api/v1/contracts/",
    "/api/v1/contracts/{id}/",
    "/api/v1/events/",
    "/api/v1/contracts/{id}/cancellation-preview/",
    "/api/v1/renewal-cases/",
    "/api/v1/renewal-cases/{id}/",
    "/api/v1/cancellation-requests/",
    "/api/v1/cancellation-requests/{id}/",
    "/api/v1/cancellation-requests/{id}/continue/",
    "/api/v1/cancellation-requests/{id}/withdraw/",
    "/api/v1/invoices/",
    "/api/v1/invoices/{id}/",
    "/api/v1/payments/",
    "/api/v1/payments/{id}/",
}


def _schema() -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_the_schema_is_public_and_lists_every_endpoint():
    schema = _schema()

    assert schema["openapi"].startswith("3.")
    assert EXPECTED_PATHS <= set(schema["paths"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_every_operation_documents_its_errors_and_every_post_its_idempotency_key():
    schema = _schema()

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code in ("400", "401", "403", "429"):
                assert code in responses, (method, path, code)
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
            if method == "post":
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, path
                assert "422" in responses


@pytest.mark.django_db
def test_enums_are_documented():
    schema = _schema()

    status = schema["components"]["schemas"]["ContractStatusEnum"]
    assert set(status["enum"]) == set(ContractStatus.values)


@pytest.mark.django_db
def test_the_docs_page_loads_swagger_from_our_own_static_files():
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts, html
    for tag in scripts:
        assert 'src="/static/' in tag or 'src="/api/docs/' in tag, tag  # no CDN, no inline
    assert "<style" not in html
    assert "cdn" not in html.lower()
    init = Client().get("/api/docs/", {"script": ""})
    assert init.status_code == 200
    assert "SwaggerUIBundle" in init.content.decode()


def _seed() -> str:
    lead = StaffFactory(username="schemathesis")
    from django.contrib.auth.models import Permission

    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    manager = StaffFactory(username="alice")
    plan = PlanFactory(code="STD")
    TermsVersionFactory(version="2027.1")
    for i in range(3):
        customer = CustomerFactory(code=f"S{i}", account_manager=manager)
        ContactFactory(customer=customer)
        contract = ContractFactory(
            customer=customer,
            plan=plan,
            status=ContractStatus.ACTIVE,
            end_date=dt.date(2027, 6, 30),
            total_amount=Decimal("1200.00"),
        )
        services.event_record(contract=contract, kind="note", by=manager, payload={"i": i})
    _token, raw = api_token_create(user=lead, name="schemathesis", scope="write")
    return raw


# Schema conformance is fuzzed over generated inputs; the dates in the data are the
# factories', and the date-sensitive API reads have their own tests in tests/api.
@pytest.mark.date_independent
@pytest.mark.django_db(transaction=True)
def test_the_live_api_conforms_to_its_schema(live_server, settings):
    """Schemathesis, bounded: a few examples per operation, positive and negative data."""
    import hypothesis
    import schemathesis
    from hypothesis import HealthCheck, Phase
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/min"},
    }
    raw = _seed()
    # 127.0.0.1 rather than "localhost": no IPv6 attempt before each connection.
    base_url = live_server.url.replace("localhost", "127.0.0.1")
    raw_schema = requests.get(f"{base_url}/api/schema/?format=json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw_schema)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    session = requests.Session()
    headers = {"Authorization": f"Bearer {raw}"}
    failures: list[str] = []
    operations = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, examples in (
            (schemathesis.GenerationMode.POSITIVE, 8),
            (schemathesis.GenerationMode.NEGATIVE, 4),
        ):

            @hypothesis.settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                response = case.call(base_url=base_url, session=session, headers=headers)
                case.validate_response(response, checks=checks, headers=headers)

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collected and reported together
                failures.append(f"{operation.label} [{mode.value}]: {exc}")

    assert operations >= len(EXPECTED_PATHS)
    assert not failures, "\n\n".join(failures)

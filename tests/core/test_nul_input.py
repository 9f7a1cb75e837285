"""A NUL character (%00) anywhere a user types text never ends in a 500.

PostgreSQL cannot store or compare text holding NUL, and psycopg refuses such a parameter
with a ValueError. core.middleware.NulInputMiddleware answers a query string holding one
with a 400 page naming the field; the API answers in its own error format
(api.views.base.ApiViewSet); forms refuse it beside their field.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from rest_framework.test import APIClient

from api.services import api_token_create
from customers.models import Customer
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Every list reads these; the pages below read more.
COMMON_PARAMS = ("q", "page", "sort", "status")
PAGE_PARAMS = {
    "staff-home": ("manager", "tier", "plan"),
    "staff-tasks": ("show",),
    "customers:list": ("tier", "manager"),
    "contracts:list": (
        "ending_within",
        "manager",
        "plan",
        "customer",
        "tier",
        "ended_from",
        "ended_to",
        "cancel_reason",
        "cancel_from",
        "cancel_to",
        "offer",
    ),
    "contracts:create": ("customer",),
    "renewals:pipeline": ("stage", "manager", "tier", "plan"),
    "renewals:terms-diff": ("a", "b"),
    "notifications:outbox": ("channel", "kind", "contract"),
    "notifications:failed": ("channel", "kind"),
    "retention:queue": ("show",),
    "retention:new": ("number",),
    "retention:winback": ("reason", "tier"),
    "billing:invoices": (),
    "insights:feedback": ("show", "category", "mine"),
    "insights:at-risk": ("manager", "tier", "plan"),
    "insights:at-risk-export": ("manager", "tier", "plan"),
    "insights:satisfaction": ("manager", "tier", "plan"),
    "insights:contracts-export": ("manager", "plan", "tier", "ending_within"),
    "insights:customers-export": ("manager", "tier"),
    "portal:login": ("next",),
    "portal:password-login": ("next",),
    "portal:feedback-new": ("contract",),
    "portal:home": ("kind",),
}
# Pages with an argument that are lists all the same.
EXTRA_PAGES = {
    "insights:dashboard-export": {"table": "monthly"},
}
API_PARAMS = ("search", "ordering", "page", "page_size", "cursor")


def _list_routes() -> list[tuple[str, str]]:
    """(name, url) of every route without arguments under /staff/, /portal/ and /api/v1/:
    a page added later is swept without anyone remembering to list it here."""

    def walk(patterns, namespace=()):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + ((pattern.namespace,) if pattern.namespace else ())
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if pattern.pattern.regex.groups == 0:
                    yield ":".join((*namespace, pattern.name))

    routes = [(name, reverse(name)) for name in walk(get_resolver().url_patterns)]
    routes += [(name, reverse(name, kwargs=kwargs)) for name, kwargs in EXTRA_PAGES.items()]
    return [
        (name, url) for name, url in routes if url.startswith(("/staff/", "/portal/", "/api/v1/"))
    ]


ROUTES = _list_routes()


@pytest.fixture
def world(db):
    lead = StaffFactory(username="lead", language="en")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    customer = CustomerFactory(code="C001", account_manager=lead)
    ContractFactory(customer=customer)
    portal_user = UserFactory(username="ann", language="en")
    PortalAccountFactory(user=portal_user, customer=customer)
    return {"lead": lead, "portal_user": portal_user}


def _api_params(url: str) -> list[str]:
    from django.urls import resolve

    view = resolve(url).func.cls
    params = list(API_PARAMS)
    if getattr(view, "filterset_class", None):
        params += list(view.filterset_class.base_filters)
    return params


def test_the_sweep_covers_the_staff_portal_and_api_lists():
    urls = {url for _name, url in ROUTES}
    assert {"/staff/customers/", "/staff/billing/", "/portal/", "/api/v1/contracts/"} <= urls
    assert set(PAGE_PARAMS) <= {name for name, _url in ROUTES}


@pytest.mark.parametrize(("name", "url"), ROUTES, ids=[name for name, _url in ROUTES])
def test_a_nul_in_any_filter_parameter_is_a_400_naming_it(client, world, name, url):
    if url.startswith("/api/"):
        _token, raw = api_token_create(user=world["lead"], name="sweep", scope="write")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        params = _api_params(url)
    else:
        client.force_login(world["portal_user" if url.startswith("/portal/") else "lead"])
        params = [*COMMON_PARAMS, *PAGE_PARAMS.get(name, ())]
    wrong = []
    for param in params:
        for value in ("%00", "a%00b"):
            if url.startswith("/api/"):
                response = api.get(f"{url}?{param}={value}")
                named = param in response.json()["error"]["fields"]
            else:
                response = client.get(f"{url}?{param}={value}")
                named = f"“{param}”" in response.content.decode()
            if response.status_code != 400 or not named:
                wrong.append((param, value, response.status_code))
    assert wrong == []


def test_the_400_page_is_in_the_users_language(client, world):
    world["lead"].language = "zh-hans"
    world["lead"].save(update_fields=["language"])
    client.force_login(world["lead"])

    response = client.get("/staff/customers/?q=a%00b&tier=A")

    assert response.status_code == 400
    assert "字段“q”含有无法接受的 NUL 字符" in response.content.decode()


def test_a_nul_in_a_parameter_name_is_named_without_it(client, world):
    client.force_login(world["lead"])

    response = client.get("/staff/customers/?q%00x=1")

    assert response.status_code == 400
    assert "“q\\0x”" in response.content.decode()


def test_a_form_that_validates_shows_its_own_error_beside_the_field(client, world):
    client.force_login(world["lead"])

    response = client.post(
        "/staff/customers/new/",
        {"code": "N1", "name": "Acme\x00", "kind": "company", "language": "en"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["Null characters are not allowed."]
    assert not Customer.objects.filter(code="N1").exists()


# --- the fallback: a view that let a NUL through to the database -------------------------


def _unvalidated_lookup(request):
    Customer.objects.filter(code=request.POST["code"]).exists()
    return HttpResponse("ok")


def _unrelated_nul_bug(request):
    Customer.objects.filter(code="\x00").exists()
    return HttpResponse("ok")


urlpatterns = [
    path("lookup/", _unvalidated_lookup),
    path("bug/", _unrelated_nul_bug),
]


@pytest.mark.urls(__name__)
def test_a_nul_posted_to_a_view_that_does_not_validate_is_a_400_naming_the_field(client):
    response = client.post("/lookup/", {"code": "C\x001", "other": "fine"})

    assert response.status_code == 400
    assert "“code”" in response.content.decode()
    assert "other" not in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_nul_that_did_not_come_from_the_request_stays_a_server_error(client):
    client.raise_request_exception = False

    response = client.post("/bug/", {"code": "C1"})

    assert response.status_code == 500

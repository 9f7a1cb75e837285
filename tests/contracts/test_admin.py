from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from contracts.models import (
    AutoRenewConsent,
    Contract,
    ContractEvent,
    ContractLine,
    Plan,
    PlanPrice,
    TermsVersion,
)
from contracts.services import LineSpec, contract_create_draft, contract_set_auto_renew
from tests.admin_forms import admin_form_data
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PlanFactory,
    TermsVersionFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [Plan, PlanPrice, TermsVersion, Contract, ContractLine, ContractEvent, AutoRenewConsent]


@pytest.fixture(autouse=True)
def _english_admin(admin_user):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])


@pytest.fixture
def everything(admin_user):
    plan = PlanFactory(code="CLOUD")
    PlanPrice.objects.create(plan=plan, price=Decimal("99"), effective_from=dt.date(2027, 1, 1))
    TermsVersionFactory()
    customer = CustomerFactory(name="上海星河科技有限公司")
    contract = ContractFactory(
        customer=customer, plan=plan, end_date=dt.date.today() + dt.timedelta(days=20)
    )
    contract_set_auto_renew(
        contract=contract,
        enabled=True,
        by=admin_user,
        channel="staff",
        text="同意自动续约",
        text_version="v1",
    )
    draft = _draft(customer, admin_user)
    return {"contract": contract, "draft": draft, "customer": customer, "plan": plan}


def _draft(customer, by, **kwargs):
    today = dt.date.today()
    return contract_create_draft(
        customer=customer,
        by=by,
        start_date=kwargs.get("start_date", today),
        end_date=kwargs.get("end_date", today + dt.timedelta(days=364)),
        lines=[LineSpec(description="Seats", quantity=Decimal("2"), unit_price=Decimal("500"))],
    )


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_contracts_model_is_registered(model):
    assert model in admin.site._registry


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_changelist_and_change_pages_load(admin_client, everything, model):
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "星河"}).status_code == 200
    obj = model.objects.order_by("pk").first()
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [Plan, PlanPrice, TermsVersion, Contract], ids=str)
def test_the_add_pages_load(admin_client, model):
    assert admin_client.get(_url(model, "add")).status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"status__exact": "active"}, {"ending_within": "30"}, {"auto_renew__exact": "1"}],
)
def test_the_contract_list_filters_work(admin_client, everything, params):
    response = admin_client.get(_url(Contract, "changelist"), params)

    assert response.status_code == 200
    assert everything["contract"].number.encode() in response.content


def test_the_ending_within_filter_leaves_out_contracts_ending_later(admin_client, everything):
    later = ContractFactory(end_date=dt.date.today() + dt.timedelta(days=200))

    response = admin_client.get(_url(Contract, "changelist"), {"ending_within": "90"})

    assert later.number.encode() not in response.content


@pytest.mark.parametrize(
    "model", [Contract, ContractEvent, AutoRenewConsent, ContractLine, Plan, PlanPrice], ids=str
)
def test_nothing_with_money_a_signature_or_a_consent_can_be_deleted(
    admin_client, everything, model
):
    obj = model.objects.order_by("pk").first()

    assert admin_client.get(_url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", [ContractEvent, AutoRenewConsent], ids=str)
def test_events_and_consents_are_read_only(admin_client, everything, model):
    obj = model.objects.order_by("pk").first()

    assert admin_client.get(_url(model, "add")).status_code == 403
    response = admin_client.post(_url(model, "change", obj.pk), {"reason": "changed"})
    assert response.status_code == 403


def test_a_signed_contract_is_read_only(admin_client, everything):
    contract = everything["contract"]

    page = admin_client.get(_url(Contract, "change", contract.pk))
    response = admin_client.post(_url(Contract, "change", contract.pk), {"end_date": "2099-01-01"})

    assert b'name="_save"' not in page.content
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.end_date != dt.date(2099, 1, 1)


def test_a_draft_is_created_through_the_service_with_its_lines(admin_client, admin_user):
    customer = CustomerFactory()
    data = admin_form_data(admin_client, _url(Contract, "add"))
    data.update(
        {
            "customer": str(customer.pk),
            "start_date": "2026-07-01",
            "end_date": "2027-06-30",
            "lines-0-description": "云存储 1TB",
            "lines-0-quantity": "3",
            "lines-0-unit_price": "1200.00",
        }
    )

    response = admin_client.post(_url(Contract, "add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    contract = Contract.objects.get(customer=customer)
    assert contract.number.startswith("HT-2026-")
    assert contract.status == "draft"
    assert contract.total_amount == Decimal("3600.00")
    assert contract.owner == customer.account_manager
    event = contract.events.get()
    assert (event.kind, event.actor) == ("created", admin_user)


def test_a_draft_without_lines_is_refused_with_a_message(admin_client):
    customer = CustomerFactory()
    data = admin_form_data(admin_client, _url(Contract, "add"))
    data.update(
        {"customer": str(customer.pk), "start_date": "2026-07-01", "end_date": "2027-06-30"}
    )
    data["lines-TOTAL_FORMS"] = "0"

    response = admin_client.post(_url(Contract, "add"), data)

    assert response.status_code == 200
    assert "at least one line" in response.content.decode()
    assert not Contract.objects.exists()


def test_an_end_before_the_start_is_refused(admin_client):
    customer = CustomerFactory()
    data = admin_form_data(admin_client, _url(Contract, "add"))
    data.update(
        {
            "customer": str(customer.pk),
            "start_date": "2026-07-01",
            "end_date": "2026-06-30",
            "lines-0-description": "x",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "1",
        }
    )

    response = admin_client.post(_url(Contract, "add"), data)

    assert response.status_code == 200
    assert not Contract.objects.exists()


def test_editing_a_draft_goes_through_the_service(admin_client, admin_user):
    draft = _draft(CustomerFactory(), admin_user)
    url = _url(Contract, "change", draft.pk)
    data = admin_form_data(admin_client, url)
    data["lines-0-quantity"] = "4"
    data["notice_period_days"] = "45"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.total_amount == Decimal("2000.00")
    assert draft.notice_period_days == 45
    assert draft.events.filter(kind="updated").count() == 1


def _action(admin_client, action, contracts):
    return admin_client.post(
        _url(Contract, "changelist"),
        {"action": action, "_selected_action": [c.pk for c in contracts]},
        follow=True,
    )


def test_the_send_for_signature_action_calls_the_service(admin_client, admin_user, everything):
    draft = everything["draft"]

    response = _action(admin_client, "send_for_signature", [draft])

    draft.refresh_from_db()
    assert draft.status == "awaiting_signature"
    event = draft.events.get(kind="sent_for_signature")
    assert event.actor == admin_user
    assert "1 contract sent for signature" in response.content.decode()


def test_an_action_refused_by_the_service_is_reported_not_a_500(admin_client, everything):
    active = everything["contract"]

    response = _action(admin_client, "void", [active, everything["draft"]])

    assert response.status_code == 200
    active.refresh_from_db()
    assert active.status == "active"
    assert everything["draft"].__class__.objects.get(pk=everything["draft"].pk).status == "void"
    body = response.content.decode()
    assert active.number in body
    assert "cannot become" in body


def test_expire_refuses_a_contract_whose_term_has_not_ended(admin_client, everything):
    active = everything["contract"]
    ended = ContractFactory(
        start_date=dt.date.today() - dt.timedelta(days=400),
        end_date=dt.date.today() - dt.timedelta(days=2),
    )

    response = _action(admin_client, "expire", [active, ended])

    active.refresh_from_db()
    ended.refresh_from_db()
    assert (active.status, ended.status) == ("active", "expired")
    assert "has not ended yet" in response.content.decode()
    assert ended.events.get(kind="expired").reason.startswith("In the admin by")


def test_the_consent_export_escapes_formula_cells(admin_client, admin_user):
    customer = CustomerFactory(code="EVIL", name='=HYPERLINK("http://x","y")')
    contract = ContractFactory(customer=customer)
    contract_set_auto_renew(
        contract=contract,
        enabled=True,
        by=admin_user,
        channel="portal",
        text="+cmd|' /C calc'!A0",
        text_version="v2",
        ip_address="203.0.113.9",
        user_agent="@evil",
    )

    response = admin_client.post(
        _url(AutoRenewConsent, "changelist"),
        {
            "action": "export_csv",
            "_selected_action": list(contract.consents.values_list("pk", flat=True)),
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][:3] == ["EVIL", '\'=HYPERLINK("http://x","y")', contract.number]
    assert rows[1][7] == "'+cmd|' /C calc'!A0"
    assert rows[1][9] == "203.0.113.9"
    assert rows[1][10] == "'@evil"


def test_a_terms_version_that_was_signed_under_cannot_be_edited(admin_client):
    terms = TermsVersionFactory()
    ContractFactory(terms_version=terms, status="active")

    page = admin_client.get(_url(TermsVersion, "change", terms.pk))

    assert b'name="body"' not in page.content
    assert admin_client.get(_url(TermsVersion, "delete", terms.pk)).status_code == 403


def test_an_unused_terms_version_can_be_edited(admin_client):
    terms = TermsVersionFactory()

    page = admin_client.get(_url(TermsVersion, "change", terms.pk))

    assert b'name="body"' in page.content


def test_plans_are_deactivated_by_an_action(admin_client, everything):
    plan = everything["plan"]

    admin_client.post(
        _url(Plan, "changelist"), {"action": "deactivate_plans", "_selected_action": [plan.pk]}
    )

    plan.refresh_from_db()
    assert plan.is_active is False

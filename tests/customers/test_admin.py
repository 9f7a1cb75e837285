from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from contracts.services import contract_set_auto_renew
from customers.models import Contact, Customer, PortalAccount, TierSettings
from tests.admin_forms import admin_form_data
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [Customer, Contact, PortalAccount, TierSettings]


@pytest.fixture(autouse=True)
def _english_admin(admin_user):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])


@pytest.fixture
def everything():
    customer = CustomerFactory(name="王芳")
    ContactFactory(customer=customer)
    PortalAccountFactory(customer=customer)
    TierSettings.load()
    return customer


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_customers_model_is_registered(model):
    assert model in admin.site._registry


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_changelist_and_change_pages_load(admin_client, everything, model):
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "王"}).status_code == 200
    obj = model.objects.order_by("pk").first()
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [Customer, Contact, PortalAccount], ids=str)
def test_the_add_pages_load(admin_client, model):
    assert admin_client.get(_url(model, "add")).status_code == 200


def test_the_customer_list_filters_by_tier_and_manager(admin_client, everything):
    response = admin_client.get(
        _url(Customer, "changelist"),
        {"tier__exact": "C", "account_manager__id__exact": everything.account_manager_id},
    )

    assert response.status_code == 200
    assert "王芳" in response.content.decode()


def test_a_customer_is_added_with_its_primary_contact(admin_client):
    manager = StaffFactory()
    data = admin_form_data(admin_client, _url(Customer, "add"))
    data.update(
        {
            "code": "KH001",
            "name": "上海星河科技有限公司",
            "kind": "company",
            "account_manager": str(manager.pk),
            "language": "zh-hans",
            "contacts-TOTAL_FORMS": "1",
            "contacts-0-name": "王芳",
            "contacts-0-email": "wangfang@example.com",
            "contacts-0-is_primary": "on",
        }
    )

    response = admin_client.post(_url(Customer, "add"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(code="KH001")
    assert customer.account_manager == manager
    assert customer.contacts.get().is_primary


def test_a_tier_override_records_who_and_when(admin_client, admin_user, everything):
    url = _url(Customer, "change", everything.pk)
    data = admin_form_data(admin_client, url)
    data.update({"tier_override": "A", "tier_override_reason": "Strategic account"})

    response = admin_client.post(url, data)

    assert response.status_code == 302
    everything.refresh_from_db()
    assert everything.effective_tier == "A"
    assert everything.tier_override_by == admin_user
    assert everything.tier_override_at is not None


def test_a_tier_override_without_a_reason_is_refused(admin_client, everything):
    url = _url(Customer, "change", everything.pk)
    data = admin_form_data(admin_client, url)
    data.update({"tier_override": "A", "tier_override_reason": ""})

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    everything.refresh_from_db()
    assert everything.tier_override == ""


def test_the_primary_contact_can_be_switched_in_one_save(admin_client, everything):
    other = ContactFactory(customer=everything, is_primary=False, name="Zhang Wei")
    url = _url(Customer, "change", everything.pk)
    data = admin_form_data(admin_client, url)
    for i in range(int(data["contacts-TOTAL_FORMS"])):
        prefix = f"contacts-{i}-"
        if data[prefix + "id"] == str(other.pk):
            data[prefix + "is_primary"] = "on"
        else:
            data.pop(prefix + "is_primary", None)

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert everything.contacts.get(is_primary=True) == other


def test_two_primary_contacts_are_refused_with_a_message(admin_client, everything):
    ContactFactory(customer=everything, is_primary=False)
    url = _url(Customer, "change", everything.pk)
    data = admin_form_data(admin_client, url)
    data["contacts-0-is_primary"] = "on"
    data["contacts-1-is_primary"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Only one contact" in response.content.decode()


def test_a_contact_made_primary_on_its_own_page_demotes_the_old_one(admin_client, everything):
    old = everything.contacts.get()
    new = ContactFactory(customer=everything, is_primary=False)
    url = _url(Contact, "change", new.pk)
    data = admin_form_data(admin_client, url)
    data["is_primary"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.is_primary, new.is_primary) == (False, True)


def test_the_consent_export_action_downloads_the_customers_ledger(admin_client, admin_user):
    customer = CustomerFactory(code="C1", name="-2+3")
    other = CustomerFactory(code="C2")
    for c in (customer, other):
        contract_set_auto_renew(
            contract=ContractFactory(customer=c),
            enabled=True,
            by=admin_user,
            channel="staff",
            text="同意",
            text_version="v1",
        )

    response = admin_client.post(
        _url(Customer, "changelist"),
        {"action": "export_consents", "_selected_action": [customer.pk]},
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["C1"]
    assert rows[1][1] == "'-2+3"
    assert rows[1][7] == "同意"


def test_the_clear_override_action_calls_the_service(admin_client, manager):
    from customers.services import customer_set_tier_override

    customer = CustomerFactory()
    customer_set_tier_override(customer=customer, by=manager, tier="B", reason="x")

    admin_client.post(
        _url(Customer, "changelist"),
        {"action": "clear_tier_override", "_selected_action": [customer.pk]},
    )

    customer.refresh_from_db()
    assert (customer.tier_override, customer.tier_override_by) == ("", None)


def test_saving_the_tier_thresholds_recomputes_every_tier(admin_client):
    settings = TierSettings.load()
    customer = CustomerFactory()
    ContractFactory(customer=customer, annual_value=Decimal("5000"))
    url = _url(TierSettings, "change", settings.pk)
    data = admin_form_data(admin_client, url)
    data.update({"a_min": "4000", "b_min": "1000", "fx_rates": "{}"})

    response = admin_client.post(url, data, follow=True)

    customer.refresh_from_db()
    assert customer.tier == "A"
    assert "Tiers recomputed: 1 changed" in response.content.decode()


def test_bad_tier_thresholds_are_refused(admin_client):
    settings = TierSettings.load()
    url = _url(TierSettings, "change", settings.pk)
    data = admin_form_data(admin_client, url)
    data.update({"a_min": "10", "b_min": "20"})

    response = admin_client.post(url, data)

    assert response.status_code == 200
    settings.refresh_from_db()
    assert settings.a_min == Decimal("100000.00")


def test_the_tier_settings_cannot_be_added_twice_or_deleted(admin_client):
    settings = TierSettings.load()

    assert admin_client.get(_url(TierSettings, "add")).status_code == 403
    assert admin_client.get(_url(TierSettings, "delete", settings.pk)).status_code == 403


def test_the_recompute_action_reports_currencies_without_a_rate(admin_client):
    settings = TierSettings.load()
    ContractFactory(currency="USD")

    response = admin_client.post(
        _url(TierSettings, "changelist"),
        {"action": "recompute_tiers", "_selected_action": [settings.pk]},
        follow=True,
    )

    assert "USD" in response.content.decode()

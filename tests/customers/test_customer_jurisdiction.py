"""A customer's country and region (customers/country_codes.py): the model, the staff form
and the CSV import."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from core.csv_import import CsvFileError, csv_read
from customers.importers import customers_import_csv
from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = "code,name,kind,contact_name,email,phone,language,account_manager"


def test_a_new_customer_is_in_the_default_country(settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "DEFAULT_COUNTRY": "fr"}
    assert Customer.objects.create(code="X1", name="X").country == "FR"
    settings.RENEWDESK = {**settings.RENEWDESK, "DEFAULT_COUNTRY": "CN"}
    assert Customer.objects.create(code="X2", name="X").country == "CN"


@pytest.mark.parametrize(
    ("country", "region", "field"),
    [("XX", "", "country"), ("US", "US-ZZ", "region"), ("CN", "US-CA", "region")],
)
def test_the_model_refuses_unknown_or_mismatched_codes(country, region, field):
    customer = CustomerFactory.build(country=country, region=region, account_manager=None)
    with pytest.raises(ValidationError) as caught:
        customer.full_clean()
    assert field in caught.value.message_dict


def test_an_eu_country_and_a_us_state_are_accepted():
    for country, region in [("DE", ""), ("US", "US-CA"), ("GB", "")]:
        customer = CustomerFactory.build(country=country, region=region, account_manager=None)
        customer.full_clean(exclude=["account_manager"])


# --- staff form ----------------------------------------------------------------------------


def _post(**overrides):
    data = {"code": "G1", "name": "Gamma GmbH", "kind": "company", "language": "en"}
    data.update(overrides)
    return data


def test_staff_set_the_country_and_region_on_the_form(client, manager):
    client.force_login(manager)
    response = client.post(reverse("customers:create"), _post(country="US", region="US-CA"))
    assert response.status_code == 302
    customer = Customer.objects.get(code="G1")
    assert (customer.country, customer.region) == ("US", "US-CA")
    page = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert 'name="country"' in page and 'name="region"' in page


def test_the_form_refuses_a_region_outside_the_country_in_chinese(client, manager):
    # The staff pages speak the user's language.
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    response = client.post(reverse("customers:create"), _post(country="DE", region="US-CA"))
    assert response.status_code == 200
    assert "地区 US-CA 不在国家/地区 DE 之内" in response.content.decode()
    assert not Customer.objects.filter(code="G1").exists()


def test_a_form_without_the_country_keeps_the_customers_own(client, manager):
    customer = CustomerFactory(account_manager=manager, code="G1", country="FR")
    client.force_login(manager)
    response = client.post(reverse("customers:edit", args=[customer.pk]), _post())
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.country == "FR"
    client.post(reverse("customers:create"), _post(code="G2"))
    assert Customer.objects.get(code="G2").country == "CN"


# --- CSV import ----------------------------------------------------------------------------


def test_the_older_format_still_imports_in_the_default_country():
    report = customers_import_csv(source=f"{HEADER}\nC1,One,company,,,,en,\n".encode())
    assert report.ok, report.errors
    assert Customer.objects.get(code="C1").country == "CN"


def test_the_optional_columns_set_the_country_and_region():
    data = (
        f"{HEADER},country,region\n"
        "C1,One,company,,,,en,,fr,\n"
        "C2,Two,company,,,,en,,US,us-ca\n"
        "C3,Three,company,,,,en,,,US-CA\n"
        "C4,Four,company,,,,en,,,\n"
    )
    report = customers_import_csv(source=data.encode())
    assert report.ok, report.errors
    got = {c.code: (c.country, c.region) for c in Customer.objects.all()}
    assert got == {
        "C1": ("FR", ""),
        "C2": ("US", "US-CA"),
        "C3": ("US", "US-CA"),
        "C4": ("CN", ""),
    }


def test_only_the_region_column_is_enough():
    data = f"{HEADER},region\nC1,One,company,,,,en,,US-CA\n"
    report = customers_import_csv(source=data.encode())
    assert report.ok, report.errors
    assert Customer.objects.get(code="C1").country == "US"


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ["not a country code", "not a region code", "is not in the country"]),
        ("zh-hans", ["不是", "地区代码", "不在国家"]),
    ],
)
def test_bad_codes_are_reported_per_row_and_nothing_is_written(language, texts):
    data = (
        f"{HEADER},country,region\n"
        "C1,One,company,,,,en,,ZZ,\n"
        "C2,Two,company,,,,en,,US,US-XX\n"
        "C3,Three,company,,,,en,,DE,US-CA\n"
        "C4,Four,company,,,,en,,CN,\n"
    )
    with translation.override(language):
        report = customers_import_csv(source=data.encode())
    assert not report.ok
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "country"),
        (3, "region"),
        (4, "region"),
    ]
    messages = [e.message for e in report.errors]
    for text, message in zip(texts, messages, strict=True):
        assert text in message
    assert not Customer.objects.exists()


def test_an_unknown_column_is_still_refused_and_the_optional_ones_are_named():
    with pytest.raises(CsvFileError) as caught:
        csv_read("a,b\n1,2\n", columns=("a",), optional=("c",))
    messages = [e.message for e in caught.value.errors]
    assert "Unexpected columns: b" in messages and "Optional columns: c" in messages
    rows, errors = csv_read("c,a\n3,1\n\n", columns=("a",), optional=("c", "d"))
    assert errors == [] and [r.values for r in rows] == [{"a": "1", "c": "3", "d": ""}]

"""The quote builder's errors (issue #13, item 13): each in the user's language beside the
field it is about, a line's beside that line's field, and what concerns no single field on
top. Before, they came as messages prefixed with the field's code name ("quantity: ...")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from renewals import services
from renewals.models import Quote, RenewalCase


@pytest.fixture
def case(today, renewing_contract):
    services.renewal_cases_open_due(as_of=today)
    return RenewalCase.objects.get(contract=renewing_contract)


@pytest.fixture
def staff_client(client, manager, case):
    client.force_login(manager)
    client.post(reverse("renewals:quote-create", args=[case.pk]))
    return client


def _post(client, case, *, lines, **settings):
    line = Quote.objects.get(case=case).lines.get()
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        "term_months": "12",
        "terms_version": "",
        "discount_percent": "0",
        "installments": "1",
        "note": "",
        **settings,
    }
    for i, values in enumerate(lines):
        values = {"source_line_id": str(line.source_line_id) if i == 0 else "", **values}
        data.update({f"lines-{i}-{name}": value for name, value in values.items()})
    return client.post(reverse("renewals:quote-edit", args=[case.pk]), data)


def _cell(body: str, name: str) -> str:
    """The table cell (or form group) that holds the input called ``name``."""
    for cell in re.findall(r"<td>.*?</td>", body, flags=re.S):
        if f'name="{name}"' in cell:
            return cell
    match = re.search(rf'<div[^>]*id="div_id_{name}".*?</div>\s*</div>', body, flags=re.S)
    assert match, f"no field {name}"
    return match.group(0)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


GOOD_LINE = {"plan": "", "description": "专业版 Pro", "quantity": "1", "unit_price": "12000"}


def test_a_zero_quantity_is_explained_beside_that_lines_quantity(staff_client, case):
    response = _post(
        staff_client,
        case,
        lines=[GOOD_LINE, {**GOOD_LINE, "description": "Onboarding", "quantity": "0"}],
    )

    assert response.status_code == 200  # shown again, nothing saved
    body = response.content.decode()
    assert "Enter a quantity greater than zero." in _cell(body, "lines-1-quantity")
    assert "Enter a quantity greater than zero." not in _cell(body, "lines-0-quantity")
    assert not any(m.startswith("quantity") for m in _messages(response))
    assert "The quote was not saved" in body


def test_a_line_without_product_or_description_is_told_beside_the_product(staff_client, case):
    response = _post(staff_client, case, lines=[{"plan": "", "description": "", "quantity": "1"}])

    body = response.content.decode()
    assert "Choose a product or describe the line." in _cell(body, "lines-0-plan")
    assert _messages(response) == []


def test_a_line_without_product_or_price_is_told_beside_the_price(staff_client, case):
    response = _post(staff_client, case, lines=[{**GOOD_LINE, "unit_price": ""}])

    body = response.content.decode()
    assert "A line without a product needs a price." in _cell(body, "lines-0-unit_price")


def test_settings_errors_stand_beside_their_field_without_a_code_name(staff_client, case):
    response = _post(staff_client, case, lines=[GOOD_LINE], discount_percent="150")

    body = response.content.decode()
    assert "Enter a discount from 0 to 100 (percent)." in _cell(body, "discount_percent")
    assert _messages(response) == []


def test_deleting_every_line_is_said_on_top(staff_client, case):
    response = _post(staff_client, case, lines=[{**GOOD_LINE, "DELETE": "on"}])

    body = response.content.decode()
    top = body[body.index('id="quote-errors"') : body.index("<form method")]
    assert "A quote needs at least one line." in top


def test_the_errors_read_in_the_managers_language(staff_client, case, manager):
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])

    response = _post(
        staff_client, case, lines=[{**GOOD_LINE, "quantity": "abc"}], installments="20"
    )

    body = response.content.decode()
    assert "请以数字填写数量" in _cell(body, "lines-0-quantity")
    assert "分期数须在 1 到 12 之间" in _cell(body, "installments")
    assert "报价未保存" in body

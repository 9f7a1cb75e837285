"""The customer's renewal page reads right: a done step reads as done, the quote
comparison's "Change" column is a difference ("变化", not "修改", which reads as "edit"),
the term row's change is the change of length (not the length), and quantities read as
on the contract page (1, not 1.00)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from renewals import services
from tests.factories import PortalAccountFactory


@pytest.fixture
def customer_client(client, renewing_contract):
    account = PortalAccountFactory(customer=renewing_contract.customer)
    client.force_login(account.user)
    return client


@pytest.fixture
def sent_quote(renewing_contract, manager, today):
    case, _created = services.case_open(contract=renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    return quote


def _page(client, contract, language):
    client.cookies["django_language"] = language
    return client.get(reverse("portal:renewal", args=[contract.pk])).content.decode()


def _step(html, key):
    match = re.search(rf'data-step="{key}"[^>]*>(.*?)</li>', html, re.S)
    assert match, key
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize(
    ("language", "sent", "signed"),
    [("en", "Renewal offer sent", "Signed"), ("zh-hans", "已发送续约报价", "已签署")],
)
def test_done_steps_read_as_done(
    customer_client, renewing_contract, sent_quote, language, sent, signed
):
    html = _page(customer_client, renewing_contract, language)
    assert _step(html, "offer").endswith(f"1. {sent}")
    assert "Review and sign" in _step(html, "sign") or "审阅并签署" in _step(html, "sign")

    services.quote_sign_online(
        quote=sent_quote,
        full_name="王小明",
        accepted=True,
        document_sha256=sent_quote.contract_document.sha256,
    )
    html = _page(customer_client, renewing_contract, language)
    assert _step(html, "offer").endswith(f"1. {sent}")
    assert _step(html, "sign").endswith(f"2. {signed}")


def test_a_step_to_come_says_what_will_happen(customer_client, renewing_contract, today):
    services.case_open(contract=renewing_contract)
    html = _page(customer_client, renewing_contract, "en")
    assert _step(html, "offer") == "1. We&#x27;ll send your renewal offer"


@pytest.mark.parametrize(("language", "change"), [("en", "Change"), ("zh-hans", "变化")])
def test_the_comparison_shows_differences_and_quantities_as_the_contract_page(
    customer_client, renewing_contract, sent_quote, language, change
):
    html = _page(customer_client, renewing_contract, language)
    table = html[html.index('<table class="table table-sm diff-table">') :]
    table = table[: table.index("</table>")]

    headers = re.findall(r"<th[^>]*>(.*?)</th>", table)
    assert headers[-1] == change
    assert "修改" not in table
    # The same twelve months: no change of length, not "12 months".
    term_change = re.search(r'class="num text-end term-change-months">(.*?)</td>', table)
    assert term_change and term_change.group(1) == "—"
    # Quantity 1 reads "1" as on the contract page, not "1.00".
    assert "1 → 1</td>" in table
    assert "1.00 → 1.00" not in table


def test_a_longer_term_shows_the_difference_in_months(
    customer_client, renewing_contract, sent_quote, manager
):
    services.quote_update(quote=sent_quote, by=manager, term_months_count=18)
    services.quote_send(quote=sent_quote, by=manager)
    html = _page(customer_client, renewing_contract, "en")
    term_change = re.search(r'class="num text-end term-change-months">(.*?)</td>', html)
    assert term_change and term_change.group(1) == "+6 months"

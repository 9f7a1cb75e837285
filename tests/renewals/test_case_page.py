"""The staff case page holds several forms at once; each field needs its own id so that
each label (and a screen reader, or a click on it) reaches the field beside it."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from renewals import services
from renewals.models import RenewalCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(today, renewing_contract):
    services.renewal_cases_open_due(as_of=today)
    return RenewalCase.objects.get(contract=renewing_contract)


def _ids(body: str) -> Counter:
    return Counter(re.findall(r'\bid="([^"]+)"', body))


def _label_target(body: str, text: str) -> str:
    match = re.search(rf'<label[^>]*for="([^"]+)"[^>]*>\s*{re.escape(text)}', body)
    assert match, f"no label {text!r}"
    return match.group(1)


def test_it_gives_every_field_of_an_open_case_its_own_id(client, manager, case):
    client.force_login(manager)
    body = client.get(reverse("renewals:case", args=[case.pk])).content.decode()

    duplicates = [i for i, n in _ids(body).items() if n > 1]
    assert duplicates == []
    # The contact card's "What was said" is the contact form's note, not the intent form's
    # (that one sits in a closed <details> above it).
    target = _label_target(body, "What was said")
    form = body[: body.index(f'id="{target}"')].rsplit("<form", 1)[1]
    assert reverse("renewals:contact", args=[case.pk]) in form


def test_it_gives_each_installments_payment_form_its_own_ids(client, manager, case):
    quote = services.quote_create(case=case, by=manager)
    services.quote_update(quote=quote, by=manager, installments=2)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    services.quote_sign_offline(
        quote=quote,
        by=manager,
        signer_name="李四",
        signed_at=timezone.now(),
        scan=b"%PDF-1.4 paper",
        filename="scan.pdf",
    )
    client.force_login(manager)
    response = client.get(reverse("renewals:case", args=[case.pk]))
    body = response.content.decode()

    assert body.count('name="reference"') == 2  # one payment form per open installment
    assert [i for i, n in _ids(body).items() if n > 1] == []
    # Each form offers that invoice's balance.
    for invoice in response.context["invoices"]:
        assert f'id="id_pay{invoice.pk}_amount"' in body
        assert f'value="{invoice.balance}"' in body


def test_it_says_a_cancellation_is_open_instead_of_offering_the_paper_signature(
    client, manager, case, today
):
    from retention.services import cancellation_submit

    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    client.force_login(manager)
    url = reverse("renewals:case", args=[case.pk])
    assert 'action="{}"'.format(reverse("renewals:sign-offline", args=[case.pk])) in (
        client.get(url).content.decode()
    )

    request = cancellation_submit(
        contract=case.contract, kind="early_termination", reason="budget", by=manager, today=today
    )
    body = client.get(url).content.decode()

    # Signing would be refused (renewals.services.signing): no form, but why and where.
    assert reverse("renewals:sign-offline", args=[case.pk]) not in body
    assert 'id="cancellation-open"' in body
    assert reverse("retention:detail", args=[request.pk]) in body

"""One sending of a renewal quote (and one signature) is one row on the staff timelines: the
quote's own status change is written beside the case's step of the same action, and the
case page and the contract page show the case's row only, in both languages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.models import ContractEvent
from renewals import services
from renewals.event_labels import timeline_merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def case_sent_twice(today, renewing_contract, manager):
    """A quote sent, revised and sent again (two sendings, two revisions)."""
    case, _created = services.case_open(contract=renewing_contract)
    quote = services.quote_send(quote=services.quote_create(case=case, by=manager), by=manager)
    services.quote_update(quote=quote, by=manager, note="revised")
    services.quote_send(quote=quote, by=manager)
    return case


def _labels(response):
    return [str(e.label) for e in response.context["timeline"]]


def test_each_sending_is_one_row_on_the_case_page(case_sent_twice, staff, renewing_contract):
    # both rows are written (the quote's status change and the case's step) ...
    kinds = list(
        ContractEvent.objects.filter(contract=renewing_contract).values_list("kind", flat=True)
    )
    assert kinds.count("quote_sent") == 2 and kinds.count("renewal_quote_sent") == 2

    # ... the page shows one per sending
    labels = _labels(staff.get(reverse("renewals:case", args=[case_sent_twice.pk])))
    assert labels.count("Renewal quote sent") == 2
    assert "Quote marked as sent" not in labels


def test_each_sending_is_one_row_on_the_contract_page_in_both_languages(
    case_sent_twice, staff, manager, renewing_contract
):
    url = reverse("contracts:detail", args=[renewing_contract.pk])
    for language, sent in (("en", "Renewal quote sent"), ("zh-hans", "续约报价已发送")):
        manager.language = language  # the staff user's own language
        manager.save(update_fields=["language"])
        labels = [str(r["label"]) for r in staff.get(url).context["timeline"]]
        assert labels.count(sent) == 2, (language, labels)
        assert not {"Quote marked as sent", "报价已标记为已发送"} & set(labels)


def test_a_signature_is_one_row(case_sent_twice, staff, manager):
    quote = case_sent_twice.quote
    quote.refresh_from_db()
    services.quote_sign_offline(
        quote=quote,
        by=manager,
        signer_name="李四",
        signed_at=timezone.now(),
        scan=b"%PDF-1.4 paper",
        filename="scan.pdf",
    )
    labels = _labels(staff.get(reverse("renewals:case", args=[case_sent_twice.pk])))
    assert labels.count("Renewal signed") == 1
    assert "Quote marked as signed" not in labels


def test_a_quote_row_without_the_case_step_beside_it_is_kept(renewing_contract):
    # given only the quote's own row (no case step of that sending)
    alone = ContractEvent.objects.create(
        contract=renewing_contract,
        kind="quote_sent",
        payload={"quote": "QT-2026-000009", "revision": 3},
    )
    other_sending = ContractEvent.objects.create(
        contract=renewing_contract,
        kind="renewal_quote_sent",
        payload={"quote": "QT-2026-000009", "revision": 2},
    )
    assert timeline_merge([alone, other_sending]) == [alone, other_sending]

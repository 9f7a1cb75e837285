from __future__ import annotations

import pytest
from django.urls import reverse

from renewals import services


@pytest.fixture
def admin_client_with_data(admin_client, today, renewing_contract, manager):
    case, _ = services.case_open(contract=renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    services.quote_sign_online(
        quote=quote,
        full_name="王小明",
        accepted=True,
        document_sha256=quote.contract_document.sha256,
    )
    return admin_client


@pytest.mark.parametrize(
    "model",
    [
        "renewals_renewalcase",
        "renewals_quote",
        "renewals_signature",
        "billing_invoice",
        "billing_payment",
        "billing_creditnote",
        "billing_webhookevent",
    ],
)
def test_admin_lists_and_details_render(admin_client_with_data, model):
    app, name = model.split("_", 1)
    response = admin_client_with_data.get(reverse(f"admin:{app}_{name}_changelist"))
    assert response.status_code == 200
    obj = response.context["cl"].result_list.first() if response.context.get("cl") else None
    if obj is not None:
        detail = admin_client_with_data.get(reverse(f"admin:{app}_{name}_change", args=[obj.pk]))
        assert detail.status_code == 200

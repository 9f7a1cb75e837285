"""A cancellation request's channel is one of the Channel choices: the service refuses
anything else with a message in the reader's language, and every caller (the portal flow,
the staff form, the API) records one of them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from api.services import api_token_create
from core.errors import DomainError
from retention import services
from retention.models import CancellationRequest, Channel
from tests.factories import PortalAccountFactory

pytestmark = pytest.mark.django_db


def _submit(contract, by, **kw):
    return services.cancellation_submit(
        contract=contract, kind="non_renewal", reason="budget", by=by, **kw
    )


@pytest.mark.parametrize("channel", ["fax", "", "PORTAL", "staff "])
def test_an_unknown_channel_is_refused_and_nothing_is_saved(contract, manager, today, channel):
    with pytest.raises(DomainError) as refused:
        _submit(contract, manager, channel=channel)

    assert refused.value.code == "invalid_channel"
    assert refused.value.message == (
        f"Unknown channel {channel!r}: a cancellation request comes from the portal or from "
        "staff on behalf of the customer."
    )
    assert not CancellationRequest.objects.exists()


def test_the_refusal_speaks_chinese(contract, manager, today):
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        _submit(contract, manager, channel="fax")

    assert refused.value.message == (
        "未知渠道 'fax'：解约申请只能来自客户门户，或由员工代客户提交。"
    )


@pytest.mark.parametrize("channel", Channel.values)
def test_each_choice_is_saved(contract, manager, today, channel):
    assert _submit(contract, manager, channel=channel).channel == channel


def test_the_portal_flow_records_portal(client, contract, today):
    client.force_login(PortalAccountFactory(customer=contract.customer).user)
    data = {"kind": "early_termination", "reason": "budget", "reason_text": "", "token": "t-1"}
    client.post(reverse("portal:cancellation-start", args=[contract.pk]), data)
    client.post(reverse("portal:cancellation-review", args=[contract.pk]), {"token": "t-1"})

    assert CancellationRequest.objects.get().channel == Channel.PORTAL


def test_the_staff_form_records_staff(client, manager, contract, today):
    client.force_login(manager)
    client.post(
        reverse("retention:new"),
        {
            "number": contract.number,
            "kind": "early_termination",
            "reason": "competitor",
            "reason_text": "Called in",
            "token": "staff-1",
        },
    )

    assert CancellationRequest.objects.get().channel == Channel.STAFF


def test_the_api_records_staff_whatever_channel_the_body_names(manager, contract, today):
    _token, raw = api_token_create(user=manager, name="alice write", scope="write")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(
        "/api/v1/cancellation-requests/",
        {"contract": contract.pk, "kind": "non_renewal", "reason": "price", "channel": "fax"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["channel"] == Channel.STAFF
    assert CancellationRequest.objects.get().channel == Channel.STAFF

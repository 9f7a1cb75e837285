"""core.event_admin on the contract events' admin: the reactions filter and the action that
sends failed rows back to the sweep."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contracts.models import ContractEvent
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:contracts_contractevent_changelist")


def _events(settings):
    settings.RENEWDESK_REACTION_MAX_ATTEMPTS = 3
    contract = ContractFactory()
    given_up = ContractEvent.objects.create(contract=contract, kind="given_up")
    retrying = ContractEvent.objects.create(contract=contract, kind="retrying")
    ContractEvent.objects.filter(pk=given_up.pk).update(reaction_attempts=3, reaction_error="x")
    ContractEvent.objects.filter(pk=retrying.pk).update(reaction_attempts=1)
    return given_up, retrying


def test_the_filter_tells_given_up_rows_from_those_still_tried(admin_client, settings):
    given_up, retrying = _events(settings)
    failed = admin_client.get(URL, {"reactions": "failed"}).context["cl"].result_list
    waiting = admin_client.get(URL, {"reactions": "waiting"}).context["cl"].result_list
    assert given_up in failed and retrying not in failed
    assert retrying in waiting and given_up not in waiting


def test_the_action_sends_failed_rows_back_to_the_sweep(admin_client, settings):
    given_up, _ = _events(settings)
    response = admin_client.post(
        URL, {"action": "reactions_retry_action", "_selected_action": [given_up.pk]}, follow=True
    )
    assert response.status_code == 200
    given_up.refresh_from_db()
    assert (given_up.reaction_attempts, given_up.reaction_retry_at) == (0, None)
    assert given_up.reacted_at is None

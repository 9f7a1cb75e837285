"""The cancellation request's timeline speaks to its reader: staff read "In review by the
account manager", the customer "In review by your account manager"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from retention import services
from retention.models import RequestEvent

pytestmark = pytest.mark.django_db


def test_staff_read_the_review_step_in_staff_words_and_the_customer_in_theirs(
    client, manager, contract, portal_user, today
):
    request = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    assert RequestEvent.objects.filter(request=request, kind="in_review").exists()

    client.force_login(manager)
    staff = client.get(reverse("retention:detail", args=[request.pk])).content.decode()
    assert "In review by the account manager" in staff
    assert "your account manager" not in staff

    client.force_login(portal_user)
    portal = client.get(reverse("portal:cancellation-detail", args=[request.pk])).content.decode()
    assert "In review by your account manager" in portal

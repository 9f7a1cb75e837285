from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "portal:home",
        "portal:messages",
        "portal:preferences",
        "portal:contacts",
        "portal:feedback-list",
        "portal:feedback-new",
        "portal:password-change",
    ],
)
def test_it_renders_every_page_for_a_logged_in_customer(customer_client, contract, name):
    response = customer_client.get(reverse(name))
    assert response.status_code == 200

"""The 403 page gives a way forward: a customer signed in to the portal who opens a staff
page can sign out (by POST) and sign in as staff; a staff member refused a page, or on a
portal page, is sent to the staff dashboard, never to ``/`` (the portal, another 403)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import PortalAccountFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "signed_in_as", "sign_out"),
    [
        ("en", "You are signed in to the customer portal as", "Sign out and sign in as staff"),
        ("zh-hans", "您当前以客户身份登录了客户门户", "退出并以员工身份登录"),
    ],
)
def test_a_customer_on_a_staff_page_is_offered_to_sign_out_and_sign_in_as_staff(
    client, language, signed_in_as, sign_out
):
    account = PortalAccountFactory()
    client.force_login(account.user)
    client.cookies["django_language"] = language

    response = client.get(reverse("staff-tasks"))

    assert response.status_code == 403
    html = response.content.decode()
    assert signed_in_as in html
    assert sign_out in html
    # The way out is a POST form (GET never changes state) to the staff logout, which
    # comes back to the page asked for: the staff login then returns there.
    assert f'action="{reverse("staff-logout")}" method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'name="next" value="{reverse("staff-tasks")}"' in html
    assert 'href="/"' not in html


def test_signing_out_from_the_403_page_leads_to_the_staff_login(client):
    account = PortalAccountFactory()
    client.force_login(account.user)

    response = client.post(reverse("staff-logout"), {"next": reverse("staff-tasks")}, follow=True)

    assert "_auth_user_id" not in client.session
    assert response.redirect_chain[-1][0].startswith(reverse("staff-login"))


def test_a_staff_member_refused_a_page_is_sent_to_the_staff_dashboard(client, manager):
    client.force_login(manager)  # an account manager, not a team lead: no imports
    with translation.override("en"):
        response = client.get(reverse("insights:import"))

    assert response.status_code == 403
    html = response.content.decode()
    assert f'href="{reverse("staff-home")}"' in html
    assert "Go to the staff dashboard" in html
    assert 'href="/"' not in html
    assert "Sign out and sign in as staff" not in html


def test_a_staff_member_on_the_portal_is_sent_to_the_staff_area(client, manager):
    client.force_login(manager)
    response = client.get(reverse("portal:home"))

    assert response.status_code == 403
    assert 'href="/staff/"' in response.content.decode()

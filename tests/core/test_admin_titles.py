"""The admin says it is RenewDesk's, in the user's language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "header", "title", "index"),
    [
        ("en", "RenewDesk administration", "RenewDesk admin", "Plans, terms, rules and users"),
        ("zh-hans", "RenewDesk 管理", "RenewDesk 管理后台", "套餐、条款、规则与用户"),
    ],
)
def test_the_admin_index_uses_renewdesk_titles(client, language, header, title, index):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, language=language)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get(reverse("admin:index")).content.decode()

    assert f'<a href="/admin/">{header}</a>' in html
    assert f"<title>{index} | {title}</title>" in html
    assert "Django administration" not in html and "Django 管理" not in html

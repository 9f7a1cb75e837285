"""The portal's navigation: every section has its tab, in both languages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _tabs(html: str) -> dict[str, str]:
    """Tab label -> the link's whole tag, from the portal navigation."""
    nav = html.split('class="portal-nav ', 1)[1].split("</nav>", 1)[0]
    return {
        re.sub(r"<[^>]+>|\s+", " ", label).strip(): tag
        for tag, label in re.findall(r'(<a class="portal-nav-link[^>]*>)(.*?)</a>', nav, re.S)
    }


def test_the_navigation_has_a_credit_notes_tab_in_english_and_chinese(customer_client):
    english = _tabs(customer_client.get(reverse("portal:home")).content.decode())
    customer_client.cookies["django_language"] = "zh-hans"
    chinese = _tabs(customer_client.get(reverse("portal:home")).content.decode())

    credit_notes = reverse("portal:credit-notes")
    assert f'href="{credit_notes}"' in english["Credit notes"]
    assert f'href="{credit_notes}"' in chinese["贷项通知单"]
    assert len(english) == len(chinese)
    assert "active" not in english["Credit notes"]


def test_the_credit_notes_tab_is_the_current_one_on_the_credit_notes_page(customer_client):
    tabs = _tabs(customer_client.get(reverse("portal:credit-notes")).content.decode())

    assert "active" in tabs["Credit notes"] and 'aria-current="page"' in tabs["Credit notes"]
    assert [label for label, tag in tabs.items() if "active" in tag] == ["Credit notes"]

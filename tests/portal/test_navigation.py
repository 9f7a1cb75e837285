"""The portal's navigation: every section has its tab, in both languages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from insights.models import Survey

pytestmark = pytest.mark.django_db


def _tabs(html: str) -> dict[str, str]:
    """Tab label -> the link's whole tag, from the portal navigation."""
    nav = html.split('class="portal-nav ', 1)[1].split("</nav>", 1)[0]
    return {
        " ".join(re.sub(r"<[^>]+>", " ", label).split()): tag
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


def test_surveys_are_reached_from_the_feedback_tab_which_counts_the_open_ones(
    customer_client, customer
):
    Survey.objects.create(customer=customer, kind="nps", dedupe_key="nav-survey-1")
    html = customer_client.get(reverse("portal:feedback-list")).content.decode()

    # the tab carries the number of surveys waiting, the page links to them
    feedback_tab = _tabs(html)["Feedback 1"]
    assert "active" in feedback_tab
    assert f'href="{reverse("surveys:list")}"' in html and "1 waiting for your answer" in html
    # and the surveys page keeps the Feedback tab current
    tabs = _tabs(customer_client.get(reverse("surveys:list")).content.decode())
    assert [label for label, tag in tabs.items() if "active" in tag] == ["Feedback 1"]
    customer_client.cookies["django_language"] = "zh-hans"
    chinese = customer_client.get(reverse("portal:feedback-list")).content.decode()
    assert "份调查等待您的回答" in chinese

"""The staff navigation (core/navigation.py, templates/staff/base.html): the entries used
every day stand in the bar, the others under "More", so the bar is one row on a 1366px
laptop (issue #13, item 15; the browser check is tests/e2e/test_layout.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from core.navigation import staff_nav_for

pytestmark = pytest.mark.django_db


def test_it_lists_the_bar_entries_first_and_those_under_more_after(manager):
    items = staff_nav_for(manager)

    flags = [item["more"] for item in items]
    assert flags == sorted(flags)
    under_more = {item["url_name"] for item in items if item["more"]}
    assert {"insights:feedback", "notifications:outbox"} <= under_more
    assert "renewals:pipeline" not in under_more


def _more_menu(html: str) -> str:
    return html[
        html.index('class="nav-item dropdown"') : html.index("</ul>", html.index("dropdown-menu"))
    ]


def test_the_layout_puts_the_more_entries_in_a_dropdown_marked_active_on_their_page(
    client, manager
):
    client.force_login(manager)

    html = client.get(reverse("notifications:outbox")).content.decode()

    menu = _more_menu(html)
    assert re.search(r'class="nav-link dropdown-toggle active"[^>]*>More<', menu)
    assert f'class="dropdown-item active" href="{reverse("notifications:outbox")}"' in menu
    assert f'href="{reverse("insights:feedback")}"' in menu
    bar = html[: html.index('class="nav-item dropdown"')]
    assert f'href="{reverse("renewals:pipeline")}"' in bar


def test_the_more_menu_is_translated(client, manager):
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    client.force_login(manager)

    with translation.override("zh-hans"):
        html = client.get(reverse("staff-home")).content.decode()

    assert ">更多<" in _more_menu(html)
    assert "dropdown-toggle active" not in html


def test_saved_segments_stand_under_more_next_to_campaigns_in_both_languages(client, manager):
    items = staff_nav_for(manager)

    names = [item["url_name"] for item in items if item["more"]]
    assert names.index("relations:segments") + 1 == names.index("relations:campaigns")
    client.force_login(manager)
    html = client.get(reverse("staff-home")).content.decode()
    segments = f'href="{reverse("relations:segments")}">Segments<'
    assert segments in _more_menu(html)

    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    with translation.override("zh-hans"):
        html = client.get(reverse("staff-home")).content.decode()
    assert f'href="{reverse("relations:segments")}">客户分群<' in _more_menu(html)


def test_the_claims_queue_stands_under_more_in_both_languages(client, manager):
    names = [item["url_name"] for item in staff_nav_for(manager) if item["more"]]
    assert "relations:claims" in names
    client.force_login(manager)

    html = client.get(reverse("relations:claims")).content.decode()
    menu = _more_menu(html)
    assert f'class="dropdown-item active" href="{reverse("relations:claims")}"' in menu
    assert ">Compensation claims<" in menu

    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    with translation.override("zh-hans"):
        html = client.get(reverse("staff-home")).content.decode()
    assert f'href="{reverse("relations:claims")}">赔偿申请<' in _more_menu(html)

"""The insights zh-hans catalogue is complete and compiled, and the pages speak Chinese."""

from __future__ import annotations

import gettext

import pytest
from django.urls import reverse
from django.utils import translation

from tests.core.test_catalogues import ROOT, _unescape, entries, untranslated_or_fuzzy

CATALOGUE = ROOT / "insights/locale/zh_Hans/LC_MESSAGES/django.po"


def test_every_insights_string_has_a_chinese_translation_and_the_mo_matches():
    assert untranslated_or_fuzzy(CATALOGUE) == []
    with CATALOGUE.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, strs, _fuzzy, plain in entries(CATALOGUE)
        if plain and compiled.gettext(_unescape(msgid)) != _unescape(strs[0])
    ]
    assert stale == []


@pytest.fixture
def _english_afterwards():
    # The middleware activates the user's language in this thread: leave English behind.
    yield
    translation.activate("en")


@pytest.mark.django_db
@pytest.mark.usefixtures("_english_afterwards")
def test_the_dashboard_and_insights_pages_speak_chinese(client, team_lead):
    team_lead.language = "zh-hans"
    team_lead.save()
    client.force_login(team_lead)
    assert "续约率（按数量）" in client.get(reverse("staff-home")).content.decode()
    assert "有流失风险的续约" in client.get(reverse("insights:at-risk")).content.decode()
    assert "反馈与投诉" in client.get(reverse("insights:feedback")).content.decode()
    assert "导入客户或合同" in client.get(reverse("insights:import")).content.decode()
    assert "满意度" in client.get(reverse("insights:satisfaction")).content.decode()

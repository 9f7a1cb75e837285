"""The dashboard counts cancellation requests (submitted in the month, whatever became of
them); the loss analysis counts confirmed cancellations. Each page says which, in both
languages, so that 3 on one and 0 on the other do not read as a contradiction."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("staff-home")
LOSSES = reverse("insights:losses")


def _page(client, user, url, language):
    user.language = language
    user.save()
    client.force_login(user)
    return client.get(url, {"as_of": "2028-02-29"} if url == LOSSES else {}).content.decode()


def test_the_dashboard_says_it_counts_cancellation_requests(client, team_lead):
    english = _page(client, team_lead, DASHBOARD, "en")
    chinese = _page(client, team_lead, DASHBOARD, "zh-hans")

    assert "Cancellation requests by reason" in english
    assert "Cancellations by reason" not in english
    assert "按原因统计的解约申请" in chinese


def test_the_loss_analysis_says_it_counts_confirmed_cancellations(client, team_lead):
    english = _page(client, team_lead, LOSSES, "en")
    chinese = _page(client, team_lead, LOSSES, "zh-hans")

    assert "Confirmed cancellations" in english
    assert "Confirmed cancellations: value" in english
    assert "已确认的解约" in chinese

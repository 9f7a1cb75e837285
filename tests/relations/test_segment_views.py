"""The segment pages (build, preview, save, edit, delete) and the use of a saved segment in
the customer list and its CSV export; bad criteria answer a form error, never a 500."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from relations.models import Segment
from relations.segment_criteria import SegmentCriteria
from relations.segments import segment_save
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(db):
    return StaffFactory(username="bob")


@pytest.fixture
def vips(manager, bob):
    """Two tier A vips of Alice's, one tier B vip of hers, one tier A vip of Bob's."""
    CustomerFactory(account_manager=manager, name="Alice A vip", tier="A", tags="VIP, retail")
    CustomerFactory(account_manager=manager, name="Alice A vip 2", tier="A", tags="vip")
    CustomerFactory(account_manager=manager, name="Alice B vip", tier="B", tags="vip")
    CustomerFactory(account_manager=manager, name="Alice A plain", tier="A")
    CustomerFactory(account_manager=bob, name="Bob A vip", tier="A", tags="vip")


def content(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def export_names(response) -> list[str]:
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return sorted(r[1] for r in rows[1:])


def test_the_preview_lists_the_members_in_the_users_book(client, manager, vips):
    client.force_login(manager)

    page = content(client.get(reverse("relations:segment-new"), {"tiers": "A", "tags": "vip"}))

    assert "Alice A vip" in page and "Alice A vip 2" in page
    assert "Alice B vip" not in page and "Bob A vip" not in page
    assert "data-member-count>2<" in page
    assert 'id="segment-save-form"' in page


def test_the_preview_pages_fifty_at_a_time(client, manager):
    for i in range(55):
        CustomerFactory(account_manager=manager, name=f"Many {i:02d}", tags="many")
    client.force_login(manager)

    first = content(client.get(reverse("relations:segment-new"), {"tags": "many"}))
    second = content(client.get(reverse("relations:segment-new"), {"tags": "many", "page": 2}))

    assert first.count("data-customer=") == 50
    assert second.count("data-customer=") == 5
    assert "data-member-count>55<" in second


@pytest.mark.parametrize(
    ("params", "field", "en", "zh"),
    [
        (
            {"renewal_within_days": "soon"},
            "renewal_within_days",
            "Enter a whole number.",
            "输入整数。",
        ),
        (
            {"renewal_within_days": "9999"},
            "renewal_within_days",
            "less than or equal to 730",
            "小于或等于730",
        ),
        ({"tiers": "Z"}, "tiers", "Select a valid choice.", "选择一个有效的选项"),
        ({"tags_match": "any"}, None, "Choose at least one criterion.", "请至少选择一个条件。"),
        (
            {"tags": ",".join(f"t{i}" for i in range(21))},
            "tags",
            "At most 20 tags.",
            "最多 20 个标签。",
        ),
        ({"plans": "999999"}, "plans", "Select a valid choice.", "选择一个有效的选项"),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_bad_criteria_give_a_form_error_in_the_users_language(
    client, manager, params, field, en, zh, language
):
    manager.language = language
    manager.save()
    client.force_login(manager)

    page = content(client.get(reverse("relations:segment-new"), params))

    assert (en if language == "en" else zh) in page
    assert 'id="segment-save-form"' not in page


def test_saving_creates_the_segment_and_shows_it(client, manager, vips):
    client.force_login(manager)

    response = client.post(
        reverse("relations:segment-new"),
        {"name": "A vips", "tiers": ["A"], "tags": "vip", "tags_match": "any", "shared": "on"},
    )

    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("relations:segment", args=[segment.pk])
    assert (segment.owner, segment.shared) == (manager, True)
    assert segment.criteria["tiers"] == ["A"] and segment.criteria["tags"] == ["vip"]
    page = content(client.get(response["Location"]))
    assert "Alice A vip 2" in page and "Bob A vip" not in page


def test_saving_without_a_name_keeps_the_preview_and_says_so(client, manager, vips):
    client.force_login(manager)

    page = content(client.post(reverse("relations:segment-new"), {"tiers": ["A"]}))

    assert "Give the segment a name." in page
    assert "Alice A plain" in page  # the preview is still there
    assert Segment.objects.count() == 0


def test_a_second_segment_of_the_same_name_is_refused(client, manager):
    segment_save(by=manager, name="Mine", criteria=SegmentCriteria(tiers=("A",)), shared=False)
    client.force_login(manager)

    page = content(client.post(reverse("relations:segment-new"), {"name": "Mine", "tiers": ["B"]}))

    assert "You already have a segment named “Mine”." in page
    assert Segment.objects.count() == 1


def test_only_the_owner_edits_or_deletes(client, manager, bob):
    segment = segment_save(
        by=bob, name="Bob's", criteria=SegmentCriteria(tiers=("A",)), shared=True
    )
    client.force_login(manager)

    assert client.get(reverse("relations:segment", args=[segment.pk])).status_code == 200
    assert client.get(reverse("relations:segment-edit", args=[segment.pk])).status_code == 404
    assert client.post(reverse("relations:segment-delete", args=[segment.pk])).status_code == 404
    client.force_login(bob)
    client.post(reverse("relations:segment-delete", args=[segment.pk]))
    assert not Segment.objects.exists()


def test_a_private_segment_of_someone_else_is_not_found(client, manager, bob):
    segment = segment_save(
        by=bob, name="Private", criteria=SegmentCriteria(tiers=("A",)), shared=False
    )
    client.force_login(manager)

    assert client.get(reverse("relations:segment", args=[segment.pk])).status_code == 404
    page = content(client.get(reverse("customers:list"), {"segment": segment.pk}))
    assert "This segment does not exist or is not shared." in page
    assert "data-customer" not in page and "No customers match these filters." in page


def test_editing_changes_the_criteria(client, manager, vips):
    segment = segment_save(
        by=manager, name="A", criteria=SegmentCriteria(tiers=("A",)), shared=False
    )
    client.force_login(manager)

    edit = content(client.get(reverse("relations:segment-edit", args=[segment.pk])))
    client.post(
        reverse("relations:segment-edit", args=[segment.pk]), {"name": "B now", "tiers": ["B"]}
    )

    assert "Alice A plain" in edit  # the saved criteria previewed at once
    segment.refresh_from_db()
    assert (segment.name, segment.criteria["tiers"]) == ("B now", ["B"])


def test_a_shared_segment_shows_each_viewer_their_own_book(client, manager, bob, team_lead, vips):
    segment = segment_save(
        by=team_lead,
        name="A vips",
        criteria=SegmentCriteria(tiers=("A",), tags=("vip",)),
        shared=True,
    )
    url = reverse("customers:list")

    client.force_login(team_lead)
    lead_page = content(client.get(url, {"segment": segment.pk}))
    client.force_login(manager)
    alice_page = content(client.get(url, {"segment": segment.pk}))
    alice_export = client.get(reverse("insights:customers-export"), {"segment": segment.pk})

    assert "Bob A vip" in lead_page and "Alice A vip 2" in lead_page
    assert "Alice A vip 2" in alice_page and "Bob A vip" not in alice_page
    assert "Alice B vip" not in alice_page
    assert export_names(alice_export) == ["Alice A vip", "Alice A vip 2"]


def test_the_export_carries_the_tags(client, manager, vips):
    client.force_login(manager)

    response = client.get(reverse("insights:customers-export"), {"tag": "retail"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "Tags"
    assert [(r[1], r[-1]) for r in rows[1:]] == [("Alice A vip", "VIP, retail")]


def test_the_customer_list_filters_by_a_whole_tag(client, manager, vips):
    CustomerFactory(account_manager=manager, name="Not a vip", tags="non-vip")
    client.force_login(manager)

    page = content(client.get(reverse("customers:list"), {"tag": " Vip "}))

    assert "Alice A vip" in page and "Alice B vip" in page
    assert "Not a vip" not in page and "Alice A plain" not in page


def test_the_customer_search_finds_tags(client, manager, vips):
    client.force_login(manager)

    page = content(client.get(reverse("customers:list"), {"q": "retail"}))

    assert "Alice A vip" in page and "Alice A vip 2" not in page


def test_the_segment_list_counts_members_in_the_viewers_book(client, manager, team_lead, vips):
    segment_save(
        by=team_lead, name="All vips", criteria=SegmentCriteria(tags=("vip",)), shared=True
    )
    client.force_login(manager)

    page = content(client.get(reverse("relations:segments")))

    assert "All vips" in page and "data-count>3<" in page


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Segments", "New segment"]), ("zh-hans", ["客户分群", "新建分群"])],
)
def test_the_segment_pages_speak_both_languages(client, manager, language, words):
    manager.language = language
    manager.save()
    client.force_login(manager)

    page = content(client.get(reverse("relations:segments")))
    builder = content(client.get(reverse("relations:segment-new")))

    assert all(w in page for w in words)
    assert words[1] in builder


@pytest.mark.parametrize(
    ("language", "subtitle"),
    [
        ("en", "Saved customer selections, counted in your book today (4 Mar 2027)."),
        ("zh-hans", "已保存的客户筛选，按您名下今日（2027年3月4日）的客户计数。"),
    ],
)
def test_the_segments_subtitle_is_one_sentence_with_its_day(client, manager, language, subtitle):
    manager.language = language
    manager.save()
    moment = dt.datetime(2027, 3, 4, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        client.force_login(manager)
        html = content(client.get(reverse("relations:segments")))

    assert subtitle in html
    assert "。 ·" not in html and ". ·" not in html

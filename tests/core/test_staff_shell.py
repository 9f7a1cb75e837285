from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Task
from tests.factories import CustomerFactory, PortalAccountFactory

pytestmark = pytest.mark.django_db


def test_it_redirects_anonymous_visitors_to_the_staff_login(client):
    response = client.get(reverse("staff-home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff-login"))


def test_it_logs_a_staff_member_in_and_shows_the_dashboard(client, manager):
    response = client.post(
        reverse("staff-login"), {"username": "alice", "password": "pw-Secret-123"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("staff-home")
    assert b"RenewDesk" in response.content


def test_it_refuses_a_portal_user_at_the_staff_login(client):
    account = PortalAccountFactory(user__username="bob")
    response = client.post(
        reverse("staff-login"), {"username": account.user.username, "password": "pw-Secret-123"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_forbids_the_staff_area_to_a_logged_in_portal_user(client):
    account = PortalAccountFactory()
    client.force_login(account.user)
    assert client.get(reverse("staff-home")).status_code == 403
    assert client.get(reverse("staff-tasks")).status_code == 403


def test_it_logs_out_only_by_post(client, manager):
    client.force_login(manager)
    assert client.get(reverse("staff-logout")).status_code == 405
    response = client.post(reverse("staff-logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_shows_the_staff_navigation_and_language_switcher(client, manager):
    client.force_login(manager)
    html = client.get(reverse("staff-home")).content.decode()
    assert reverse("customers:list") in html
    assert reverse("contracts:list") in html
    assert 'action="/i18n/setlang/"' in html


def test_it_lists_my_open_tasks_first_and_marks_one_done(client, manager):
    today = timezone.localdate()
    overdue = Task.objects.create(
        assignee=manager, kind="follow_up", title="Call back", due_date=today - dt.timedelta(days=2)
    )
    client.force_login(manager)
    html = client.get(reverse("staff-tasks")).content.decode()
    assert "Call back" in html
    assert "task-overdue" in html
    response = client.post(reverse("staff-task-done", args=[overdue.pk]))
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.done_at is not None and overdue.done_by == manager


def test_it_hides_someone_elses_task(client, manager):
    other = CustomerFactory().account_manager
    task = Task.objects.create(
        assignee=other, kind="follow_up", title="Theirs", due_date=timezone.localdate()
    )
    client.force_login(manager)
    assert client.post(reverse("staff-task-done", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_it_refuses_to_mark_a_task_done_by_get(client, manager):
    task = Task.objects.create(
        assignee=manager, kind="follow_up", title="Mine", due_date=timezone.localdate()
    )
    client.force_login(manager)
    assert client.get(reverse("staff-task-done", args=[task.pk])).status_code == 405


def test_money_filter_groups_thousands_in_every_language():
    from decimal import Decimal

    from django.utils import translation

    from core.templatetags.money_tags import money

    with translation.override("zh-hans"):
        assert money(Decimal("21232.685")) == "21,232.69"
        assert money(Decimal("5"), "CNY") == "CNY 5.00"
    assert money(None) == ""
    assert money("not a number") == "not a number"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_it_serves_a_document_only_to_staff_whose_book_holds_it(client, manager, media_root):
    from core.pdf import document_store

    mine = CustomerFactory(account_manager=manager)
    doc = document_store(
        data=b"%PDF-1.4 mine", kind="contract", title="Contract", customer=mine, filename="c.pdf"
    )
    theirs = document_store(
        data=b"%PDF-1.4 theirs",
        kind="contract",
        title="Contract",
        customer=CustomerFactory(),
        filename="t.pdf",
    )
    client.force_login(manager)
    response = client.get(reverse("staff-document", args=[doc.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 mine"
    assert client.get(reverse("staff-document", args=[theirs.pk])).status_code == 404


def test_the_error_pages_render_without_a_request_context():
    from django.template.loader import render_to_string

    for name in ("403.html", "404.html", "500.html"):
        assert "RenewDesk" in render_to_string(name)

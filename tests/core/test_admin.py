from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse

from core.models import Document, Sequence, Task, User
from core.sequences import sequence_next
from core.services import task_create
from tests.admin_forms import admin_form_data
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

MODELS = [User, Sequence, Task, Document]


@pytest.fixture(autouse=True)
def _english_admin(admin_user):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])


@pytest.fixture
def everything(admin_user, settings, tmp_path):
    from core.pdf import document_store

    settings.MEDIA_ROOT = tmp_path
    sequence_next(name="contract-2026")
    customer = CustomerFactory()
    task_create(
        assignee=customer.account_manager,
        kind="follow_up",
        title="回访 王芳",
        due_date=dt.date(2026, 7, 1),
        customer=customer,
    )
    document_store(
        data=b"%PDF-1.4 test",
        kind="contract",
        title="合同 HT-2026-000001",
        customer=customer,
        filename="contract.pdf",
    )


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_core_model_is_registered(model):
    assert model in admin.site._registry


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_changelist_and_change_pages_load(admin_client, everything, model):
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "王"}).status_code == 200
    obj = model.objects.order_by("pk").first()
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [User, Task], ids=str)
def test_the_add_pages_load(admin_client, model):
    assert admin_client.get(_url(model, "add")).status_code == 200


def test_the_user_page_edits_language_and_team_lead(admin_client):
    lead = StaffFactory(username="zhao.min")
    member = StaffFactory(username="wang.li")
    url = _url(User, "change", member.pk)
    data = admin_form_data(admin_client, url)
    data.update({"language": "zh-hans", "team_lead": str(lead.pk)})

    response = admin_client.post(url, data)

    errors = response.context["adminform"].form.errors if response.status_code == 200 else None
    assert response.status_code == 302, errors
    member.refresh_from_db()
    assert (member.language, member.team_lead) == ("zh-hans", lead)


@pytest.mark.parametrize("model", [Document, Sequence], ids=str)
def test_documents_and_sequences_are_read_only(admin_client, everything, model):
    obj = model.objects.order_by("pk").first()

    assert admin_client.get(_url(model, "add")).status_code == 403
    assert admin_client.post(_url(model, "change", obj.pk), {}).status_code == 403
    assert admin_client.get(_url(model, "delete", obj.pk)).status_code == 403


def test_the_complete_action_calls_the_task_service(admin_client, admin_user, everything):
    task = Task.objects.get()

    admin_client.post(
        _url(Task, "changelist"), {"action": "complete_tasks", "_selected_action": [task.pk]}
    )

    task.refresh_from_db()
    assert task.done_at is not None
    assert task.done_by == admin_user


def test_a_task_added_in_the_admin_is_created_by_the_service(admin_client):
    manager = StaffFactory()
    data = admin_form_data(admin_client, _url(Task, "add"))
    data.update(
        {
            "assignee": str(manager.pk),
            "kind": "follow_up",
            "title": "Call back",
            "due_date": "2026-07-01",
        }
    )

    response = admin_client.post(_url(Task, "add"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Task.objects.get().title == "Call back"

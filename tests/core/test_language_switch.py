"""The language switcher keeps a logged-in user's choice: tasks, notifications and e-mails
are written in the profile language, so switching only the interface left a staff member
(or a customer) receiving texts in the other language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from core.document_files import document_missing_report
from core.models import Document, DocumentKind, Task
from customers.models import Customer
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SWITCH = "/i18n/setlang/"


def test_it_keeps_the_url_name_every_switcher_form_posts_to():
    assert reverse("set_language") == SWITCH


def test_it_saves_a_staff_members_choice_as_their_language(client):
    # given a staff member whose profile says Chinese
    staff = StaffFactory(language="zh-hans")
    client.force_login(staff)
    # when they switch the interface to English
    response = client.post(SWITCH, {"language": "en", "next": "/staff/tasks/"})
    # then the page comes back in English and the profile says English too
    assert response.status_code == 302
    assert response["Location"] == "/staff/tasks/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    staff.refresh_from_db()
    assert staff.language == "en"


def test_a_task_created_after_the_switch_speaks_the_chosen_language(client, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    staff = StaffFactory(language="zh-hans")
    contract = ContractFactory(customer=CustomerFactory(account_manager=staff), owner=staff)
    document = Document(
        kind=DocumentKind.OTHER,
        title="scan.pdf",
        sha256="0" * 64,
        customer=contract.customer,
        contract=contract,
    )
    document.file.save("scan.pdf", ContentFile(b"x"), save=False)
    document.save()
    client.force_login(staff)

    client.post(SWITCH, {"language": "en", "next": "/staff/"})
    staff.refresh_from_db()
    document_missing_report(document=document)

    task = Task.objects.get(assignee=staff)
    assert task.title == "Document file missing: scan.pdf"


def test_it_saves_a_portal_users_choice_for_the_customer_and_the_user(client):
    # given a customer whose messages go out in Chinese
    customer = CustomerFactory(language="zh-hans")
    user = UserFactory(language="zh-hans")
    PortalAccountFactory(user=user, customer=customer)
    client.force_login(user)
    # when their portal user switches to English
    response = client.post(SWITCH, {"language": "en", "next": "/portal/"})
    # then e-mails and portal messages to the customer are written in English from now on
    assert response.status_code == 302
    customer.refresh_from_db()
    user.refresh_from_db()
    assert customer.language == "en"
    assert user.language == "en"


def test_it_does_not_change_another_customers_language(client):
    customer = CustomerFactory(language="zh-hans")
    other = CustomerFactory(language="zh-hans")
    account = PortalAccountFactory(customer=customer, user__language="zh-hans")
    client.force_login(account.user)

    client.post(SWITCH, {"language": "en", "next": "/portal/"})

    assert Customer.objects.get(pk=other.pk).language == "zh-hans"
    assert Customer.objects.get(pk=customer.pk).language == "en"


@pytest.mark.parametrize("code", ["fr", "", "en-us-x" * 5, "zh_Hans"])
def test_an_unknown_language_changes_nothing(client, code):
    customer = CustomerFactory(language="zh-hans")
    account = PortalAccountFactory(customer=customer, user__language="zh-hans")
    client.force_login(account.user)

    response = client.post(SWITCH, {"language": code, "next": "/portal/"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    account.user.refresh_from_db()
    customer.refresh_from_db()
    assert account.user.language == "zh-hans"
    assert customer.language == "zh-hans"


def test_a_get_changes_nothing(client):
    staff = StaffFactory(language="zh-hans")
    client.force_login(staff)

    response = client.get(SWITCH, {"language": "en", "next": "/staff/"})

    assert response.status_code == 405
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    staff.refresh_from_db()
    assert staff.language == "zh-hans"


def test_an_anonymous_visitor_still_gets_the_cookie(client):
    response = client.post(SWITCH, {"language": "en", "next": "/portal/login/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_the_switch_needs_the_csrf_token(db):
    staff = StaffFactory(language="zh-hans")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)

    response = strict.post(SWITCH, {"language": "en"})

    assert response.status_code == 403
    staff.refresh_from_db()
    assert staff.language == "zh-hans"

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from core.models import Document, DocumentKind
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # Rate-limit counters live in the (local memory) cache: start every test clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Acme Ltd")


@pytest.fixture
def portal_user(customer):
    user = UserFactory(username="ann", email="ann@acme.example", language="en")
    PortalAccountFactory(user=user, customer=customer)
    return user


@pytest.fixture
def contract(customer):
    return ContractFactory(customer=customer)


@pytest.fixture
def customer_client(client, portal_user):
    client.force_login(portal_user)
    return client


@pytest.fixture
def other_customer(db, tmp_path, settings):
    """Customer B with one of everything the portal can show."""
    settings.MEDIA_ROOT = str(tmp_path)
    from portal.services import feedback_submit

    other = CustomerFactory(name="Other Co")
    user = UserFactory(username="bob", email="bob@other.example")
    PortalAccountFactory(user=user, customer=other)
    contract = ContractFactory(customer=other)
    contact = ContactFactory(customer=other)
    document = Document(
        kind=DocumentKind.CONTRACT, title="B contract", sha256="0" * 64, size=3, customer=other
    )
    document.contract = contract
    document.file.save("b.pdf", ContentFile(b"pdf"), save=False)
    document.save()
    feedback = feedback_submit(
        customer=other,
        by=user,
        category="question",
        severity="normal",
        subject="B question",
        body="secret",
        contract=contract,
    )
    return {
        "customer": other,
        "user": user,
        "contract": contract,
        "contact": contact,
        "document": document,
        "feedback": feedback,
    }


@pytest.fixture(autouse=True)
def _deliver_in_process(monkeypatch):
    """Deliver "send now" messages in the test process instead of through the broker:
    no worker runs during tests, and the e-mail must reach mail.outbox."""
    from notifications import tasks

    def _apply_async(args=None, **kwargs):
        return tasks.deliver_message_task.run(*(args or []))

    monkeypatch.setattr(tasks.deliver_message_task, "apply_async", _apply_async)

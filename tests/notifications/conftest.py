from __future__ import annotations

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller

from tests.factories import ContactFactory, ContractFactory, CustomerFactory, StaffFactory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """An SMTP server's DATA handler: answers the queued replies first, then 250."""

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.messages: list = []
        self.data_commands = 0

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server in the test process; Django's SMTP backend points at it."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


AS_OF = dt.date(2026, 6, 1)


@pytest.fixture
def make_contract(db):
    """An active contract ending ``days`` after AS_OF for a customer with an email contact."""

    def make(days: int = 30, *, language: str = "en", as_of: dt.date = AS_OF, **kwargs):
        manager = kwargs.pop("manager", None) or StaffFactory()
        customer = kwargs.pop("customer", None) or CustomerFactory(
            account_manager=manager,
            language=language,
            notify_email=kwargs.pop("notify_email", True),
            notify_in_app=kwargs.pop("notify_in_app", False),
            notify_sms=kwargs.pop("notify_sms", False),
        )
        if not customer.contacts.exists():
            ContactFactory(customer=customer, phone="+8613800000000")
        return ContractFactory(
            customer=customer,
            start_date=kwargs.pop("start_date", as_of - dt.timedelta(days=300)),
            end_date=as_of + dt.timedelta(days=days),
            **kwargs,
        )

    return make


@pytest.fixture
def jurisdictions(db):
    """The shipped jurisdiction rules and festival dates (a transactional test elsewhere may
    have flushed what the data migration created)."""
    import importlib

    from django.apps import apps

    importlib.import_module("notifications.migrations.0002_seed_jurisdictions_festivals").seed(
        apps, None
    )

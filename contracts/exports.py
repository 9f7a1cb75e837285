"""Exports of the consent ledger (kept 3 years, exportable per customer): the auto-renewal
switches and the consents to charge a saved payment method for the renewals, told apart by
the last column (added last so that scripts reading the columns by position keep working)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.csv_export import csv_response

from .models import AutoRenewConsent


def consent_export_header() -> list[str]:
    return [
        _("Customer code"),
        _("Customer"),
        _("Contract"),
        _("At"),
        _("On / off"),
        _("Channel"),
        _("Text version"),
        _("Text shown"),
        _("Actor"),
        _("IP address"),
        _("User agent"),
        _("Consent to"),
    ]


def consent_export_rows(consents: QuerySet[AutoRenewConsent]) -> Iterator[list[Any]]:
    qs = consents.select_related("customer", "contract", "actor").order_by(
        "customer__code", "at", "id"
    )
    for c in qs.iterator(chunk_size=2000):
        yield [
            c.customer.code,
            c.customer.name,
            c.contract.number,
            timezone.localtime(c.at),
            _("on") if c.enabled else _("off"),
            c.get_channel_display(),
            c.text_version,
            c.text,
            c.actor.username if c.actor else "",
            c.ip_address or "",
            c.user_agent,
            c.get_kind_display(),
        ]


def consents_csv_response(*, consents: QuerySet[AutoRenewConsent], filename: str) -> HttpResponse:
    return csv_response(
        filename=filename, header=consent_export_header(), rows=consent_export_rows(consents)
    )

"""One imported contract: the rows it is made of (contract, line, "imported" event, the
import consent when it renews automatically) and the single-row import that writes them.
The file reading and the bulk writer are in ``contracts/importers.py``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Customer

from . import contract_states as states
from .auto_renew_consent import consent_new, contract_set_auto_renew
from .contract_states import contract_event_new
from .models import AutoRenewConsent, ConsentChannel, Contract, ContractEvent, ContractLine, Plan
from .services import (
    LineSpec,
    contract_dates_validate,
    contract_line_rows,
    contract_policy_from_plan,
)


@dataclass(frozen=True)
class ImportSpec:
    """One contract as an import describes it (contracts/importers.py)."""

    number: str
    customer: Customer
    plan: Plan | None
    start_date: dt.date
    end_date: dt.date
    amount: Decimal
    currency: str
    billing_period: str
    auto_renew: bool
    notice_period_days: int


IMPORT_CONSENT_VERSION = "import"


def _import_consent_text() -> str:
    return _("Auto-renewal recorded from an import.")


def contract_import_rows(
    spec: ImportSpec, *, today: dt.date, by: Any = None
) -> tuple[Contract, list[ContractLine], ContractEvent]:
    """The rows one imported contract is made of (not saved): the contract in the status
    its dates give, its one line, its "imported" event. The single and the bulk import
    both write exactly these, so they cannot differ. Auto-renewal comes on afterwards with
    a consent (``contract_import`` or the bulk writer), and only for a term not yet over."""
    contract_dates_validate(spec.start_date, spec.end_date)
    status = states.imported_status(spec.start_date, spec.end_date, today)
    contract = Contract(
        number=spec.number,
        customer=spec.customer,
        plan=spec.plan,
        owner=spec.customer.account_manager,
        status=status,
        start_date=spec.start_date,
        end_date=spec.end_date,
        billing_period=spec.billing_period,
        currency=spec.currency,
        notice_period_days=spec.notice_period_days,
    )
    contract_policy_from_plan(contract)
    lines = contract_line_rows(
        contract,
        [
            LineSpec(
                description=spec.plan.name if spec.plan else spec.number,
                quantity=Decimal(1),
                unit_price=spec.amount,
                plan=spec.plan,
            )
        ],
    )
    event = contract_event_new(contract=contract, kind="imported", by=by, to_status=status)
    return contract, lines, event


def import_keeps_auto_renew(spec: ImportSpec, today: dt.date) -> bool:
    # A term that has already ended cannot switch auto-renewal on any more; the flag only
    # matters for current and future terms.
    return spec.auto_renew and spec.end_date >= today


def import_consent_new(*, contract: Contract, by: Any = None) -> AutoRenewConsent:
    """The consent an import records for a contract that renews automatically (not saved)."""
    return consent_new(
        contract=contract,
        enabled=True,
        by=by,
        channel=ConsentChannel.IMPORT,
        text=_import_consent_text(),
        text_version=IMPORT_CONSENT_VERSION,
    )


@transaction.atomic
def contract_import(*, spec: ImportSpec, today: dt.date, by: Any = None) -> Contract:
    """Create a contract from an import row; its status follows from its dates."""
    contract, lines, event = contract_import_rows(spec, today=today, by=by)
    contract.save()
    ContractLine.objects.bulk_create(lines)
    event.save()
    if import_keeps_auto_renew(spec, today):
        consent = import_consent_new(contract=contract, by=by)
        contract_set_auto_renew(
            contract=contract,
            enabled=True,
            by=by,
            channel=consent.channel,
            text=consent.text,
            text_version=consent.text_version,
        )
    return contract

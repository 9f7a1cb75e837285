"""Win-back: prepare a new contract for a customer whose contract ended."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import services as contract_services
from contracts.models import Contract, ContractStatus
from core.errors import DomainError

from .. import policy
from ..selectors import CURRENT_STATUSES

log = logging.getLogger(__name__)


# --- win-back ----------------------------------------------------------------------------


def winback_contract_offer(
    *,
    contract: Contract,
    by: Any,
    start_date: dt.date | None = None,
    leave_out: Collection[int] = (),
) -> Contract:
    """Prepare a new contract for a customer whose contract ended: a draft at today's plan
    price, which then goes through the contract flow (send for signature, signature,
    first payment activates it).

    ``leave_out``: ids of the ended contract's lines not to offer again. A higher layer
    knows which lines were given free (a loyalty member's complimentary service, which
    retention cannot recognise: loyalty sits above it); repriced, such a line would be
    charged in full. ``lifecycle.winback.contract_winback_offer`` passes them.

    It is deliberately not the old contract's *successor*: that one-to-one link belongs
    to the renewal flow (a just-expired contract may still be renewed through its case).
    The two contracts are linked by events on both timelines instead.
    """
    if contract.status not in (ContractStatus.TERMINATED, ContractStatus.EXPIRED):
        raise DomainError(_("Only an ended contract can be won back."))
    if Contract.objects.filter(
        customer_id=contract.customer_id, status__in=CURRENT_STATUSES
    ).exists():
        raise DomainError(_("This customer already has a current contract or one in preparation."))
    start = start_date or timezone.localdate()
    months = policy.months_in_term(contract.start_date, contract.end_date)
    end = policy.add_months(start, months) - policy.ONE_DAY
    lines = []
    for line in contract.lines.all():
        if line.pk in leave_out:
            continue
        price = line.unit_price
        if line.plan is not None:
            per = policy.PERIOD_MONTHS.get(line.plan.billing_period, 1)
            price = line.plan.price_on(start) * Decimal(months) / Decimal(per)
        lines.append(
            contract_services.LineSpec(
                description=line.description,
                quantity=line.quantity,
                unit_price=policy.to_money(price),
                plan=line.plan,
            )
        )
    with transaction.atomic():
        Contract.objects.select_for_update().get(pk=contract.pk)
        new = contract_services.contract_create_draft(
            customer=contract.customer,
            by=by,
            start_date=start,
            end_date=end,
            lines=lines,
            plan=contract.plan,
            owner=contract.owner,
            billing_period=contract.billing_period,
            currency=contract.currency,
            terms_version=contract.terms_version,
        )
        contract_services.event_record(
            contract=contract, kind="winback_offered", by=by, payload={"new_contract": new.number}
        )
        contract_services.event_record(
            contract=new, kind="winback_from", by=by, payload={"previous_contract": contract.number}
        )
    return new

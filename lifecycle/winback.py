"""Win-back of an ended contract, composed across the layers: retention prepares the
draft at today's prices, and the lines a loyalty member was given free (complimentary
extra services, recognised by renewals from loyalty's benefit rows) are left out, so that
the draft neither charges them in full nor gives them free to someone who may no longer
be a member. retention cannot recognise them itself (loyalty sits above it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.models import Contract
from renewals.services.quote_pricing import contract_complimentary_lines
from retention import services as retention_services


def contract_winback_offer(
    *, contract: Contract, by: Any, start_date: dt.date | None = None
) -> Contract:
    """``retention.services.winback_contract_offer`` without the ended contract's
    complimentary lines."""
    return retention_services.winback_contract_offer(
        contract=contract,
        by=by,
        start_date=start_date,
        leave_out=set(contract_complimentary_lines(contract=contract)),
    )

"""Every write to renewals goes through here.

Stages and quote statuses change only through ``renewals.case_states`` and
``renewals.quote_states`` (the transition tables live there).

Lock order, everywhere: the renewal case row first, then contract rows (predecessor, then
successor, through ``contracts.services``), then invoices. Two actions on the same case
(signing and losing it, two clerks sending a quote) queue on the case lock and the second
one sees what the first did.
"""

from __future__ import annotations

from .cases import (
    BATCH_SIZE,
    case_flag,
    case_log_contact,
    case_lose,
    case_open,
    case_record_intent,
    cases_lose_at_term_end,
    renewal_cases_open_due,
)
from .outcomes import (
    case_attach_auto_renewal,
    case_lose_undone_renewal,
    case_mark_won,
    case_on_successor_paid,
    case_on_successor_voided,
    case_open_for_blocked_auto_renewal,
    cases_mark_won,
    successor_void_if_unsigned,
)
from .quote_pricing import QuoteLineSpec, price_per_term, renewal_lines_at_current_prices
from .quotes import quote_apply_grant, quote_create, quote_send, quote_update
from .reply_dates import reply_due_date
from .signing import quote_sign_offline, quote_sign_online

__all__ = [
    "BATCH_SIZE",
    "QuoteLineSpec",
    "case_attach_auto_renewal",
    "case_flag",
    "case_log_contact",
    "case_lose",
    "case_lose_undone_renewal",
    "case_mark_won",
    "case_on_successor_paid",
    "case_on_successor_voided",
    "case_open",
    "case_open_for_blocked_auto_renewal",
    "case_record_intent",
    "cases_lose_at_term_end",
    "cases_mark_won",
    "price_per_term",
    "quote_create",
    "quote_send",
    "quote_sign_offline",
    "quote_sign_online",
    "quote_apply_grant",
    "quote_update",
    "renewal_cases_open_due",
    "renewal_lines_at_current_prices",
    "reply_due_date",
    "successor_void_if_unsigned",
]

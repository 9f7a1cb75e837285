"""Every write to cancellation requests goes through here.

Workflow (docs/product.md §5)::

    submitted ──(offer accepted)──────────────► retained  (request withdrawn, contract kept)
        │  └──(customer withdraws)────────────► withdrawn
        ▼ continue to cancel
    in_review ──(staff confirm, date fixed)───► confirmed ──(effective date)──► completed
        └──(staff reject: invalid request)────► rejected

A **non-renewal** needs no review: there is nothing to charge or refund, so "continue
to cancel" confirms it at once. It switches auto-renew off through the consent ledger
(``contracts.services.contract_set_auto_renew``) and the contract then simply expires at
its term end through the end-of-term processing; our completion sweep only closes the
request (and expires the contract itself if it runs first).

An **early termination** is confirmed by staff with an effective date; on that date
``cancellations_complete_due`` terminates the contract (``contract_terminate``) and
hands the fee and the refund to billing.

Locks are always taken in the same order, contract row first and request row second,
so two services working on the same contract queue instead of deadlocking.
"""

from .completion import (
    cancellation_complete,
    cancellations_complete_due,
    cancellations_continue_unanswered,
)
from .offers import (
    cancellation_offer_accept,
    cancellation_offer_make,
    grant_mark_used,
    revenue_saved,
)
from .request_steps import CONSENT_TEXT_VERSION, request_event, sla_business_days, sla_due_at
from .requests import (
    cancellation_confirm,
    cancellation_continue,
    cancellation_reject,
    cancellation_submit,
    cancellation_withdraw,
    consent_text_off,
    contact_log_add,
    rejection_ground,
)
from .winback import winback_contract_offer

__all__ = [
    "CONSENT_TEXT_VERSION",
    "cancellation_complete",
    "cancellation_confirm",
    "cancellation_continue",
    "cancellation_offer_accept",
    "cancellation_offer_make",
    "cancellation_reject",
    "cancellation_submit",
    "cancellation_withdraw",
    "cancellations_complete_due",
    "cancellations_continue_unanswered",
    "consent_text_off",
    "contact_log_add",
    "grant_mark_used",
    "rejection_ground",
    "request_event",
    "revenue_saved",
    "sla_business_days",
    "sla_due_at",
    "winback_contract_offer",
]

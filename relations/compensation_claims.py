"""Compensation claims for a breached service level: a customer files one per breached
period (portal), staff approve it into a credit note (billing) or reject it with a reason,
and the customer is told either way.

Lock order for a decision: the indicator row first (its cap is shared by every claim of
the contract's term, so two approvals of different breaches cannot both spend the same
headroom), then the claim. Two approvals of the same claim queue on those locks; the
second finds it credited and is refused: one credit note.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from billing.services import credit_note_issue
from core.errors import DomainError
from core.money import money, money_text
from customers.models import Customer
from notifications.customer_messages import message_to_customer, message_to_staff

from .claim_states import claim_change_locked, claim_filed_event
from .service_level_models import (
    ClaimStatus,
    CompensationClaim,
    ServiceIndicator,
    ServiceMeasurement,
)
from .service_levels import compensation_due, measurement_period

REASON_MAX = 2000


def _claim_context(claim: CompensationClaim) -> dict[str, Any]:
    measurement = claim.measurement
    return {
        "contract_number": claim.contract.number,
        "indicator": measurement.indicator.label,
        "period": measurement_period(measurement).label,
    }


def _portal_url(claim: CompensationClaim) -> str:
    return settings.SITE_URL + reverse("portal:service-levels", kwargs={"pk": claim.contract_id})


def claim_file(
    *, customer: Customer, measurement: ServiceMeasurement, reason: str, by: Any = None
) -> CompensationClaim:
    """File the customer's claim for one breached period of their own contract."""
    contract = measurement.contract
    if contract.customer_id != customer.pk:
        raise DomainError(_("This measurement is not about one of your contracts."))
    if not measurement.breached:
        raise DomainError(_("The service level was met in this period: there is nothing to claim."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Tell us briefly why you claim compensation."))
    if len(reason) > REASON_MAX:
        raise DomainError(_("Keep the reason under %(n)s characters.") % {"n": REASON_MAX})
    try:
        with transaction.atomic():
            claim = CompensationClaim.objects.create(
                measurement=measurement,
                contract=contract,
                customer=customer,
                reason=reason,
                filed_by=by if getattr(by, "is_authenticated", False) else None,
            )
            claim_filed_event(claim, by=by)
    except IntegrityError as exc:
        raise DomainError(_("A claim for this period is already filed.")) from exc
    message_to_staff(
        kind="sla_claim_filed_staff",
        user=customer.account_manager,
        customer=customer,
        contract=contract,
        context={**_claim_context(claim), "reason": reason},
        dedupe_key=f"sla_claim_filed:{claim.pk}",
    )
    return claim


def _lock(claim: CompensationClaim) -> CompensationClaim:
    ServiceIndicator.objects.select_for_update().get(pk=claim.measurement.indicator_id)
    return (
        CompensationClaim.objects.select_for_update(of=("self",))
        .select_related("measurement__indicator", "measurement__contract", "contract", "customer")
        .get(pk=claim.pk)
    )


def claim_approve(
    *, claim: CompensationClaim, by: Any, amount: Decimal | None = None, note: str = ""
) -> CompensationClaim:
    """Approve the claim for ``amount`` (default: all that is due; never more) and credit
    it: the credit note is issued in the same transaction."""
    with transaction.atomic():
        locked = _lock(claim)
        if locked.status != ClaimStatus.FILED:
            raise DomainError(
                _("This claim is already decided (%(status)s).")
                % {"status": locked.get_status_display()}
            )
        due = compensation_due(locked.measurement)
        if due <= 0:
            raise DomainError(
                _("The indicator's cap for this term is used up: reject the claim saying so.")
            )
        if amount is None:
            amount = due
        try:
            amount = money(amount)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise DomainError(_("The amount must be a number.")) from exc
        if amount <= 0:
            raise DomainError(_("The amount must be greater than zero; to pay nothing, reject."))
        if amount > due:
            raise DomainError(
                _("At most %(due)s is due for this breach (the rule and the cap).")
                % {"due": money_text(due, locked.contract.currency)}
            )
        context = _claim_context(locked)
        claim_change_locked(
            locked,
            ClaimStatus.APPROVED,
            by=by,
            kind="sla_claim_approved",
            updates={
                "amount": amount,
                "decision_note": note.strip()[:500],
                "decided_by": by if getattr(by, "is_authenticated", False) else None,
                "decided_at": timezone.now(),
            },
        )
        # The credit note's reason is stored text, read by staff and on the customer's
        # documents: written in the customer's language.
        with override(locked.customer.language or None):
            reason = _("Service level compensation: %(indicator)s, %(period)s") % context
        credit = credit_note_issue(
            customer=locked.customer,
            amount=amount,
            reason=reason,
            by=by,
            contract=locked.contract,
        )
        claim_change_locked(
            locked,
            ClaimStatus.CREDITED,
            by=by,
            kind="sla_claim_credited",
            updates={"credit_note": credit},
        )
        message_to_customer(
            kind="sla_claim_approved",
            customer=locked.customer,
            contract=locked.contract,
            context={
                **context,
                "portal_url": _portal_url(locked),
                "amount": money_text(amount, credit.currency),
                "credit_note": credit.number,
            },
            dedupe_key=f"sla_claim_approved:{locked.pk}",
        )
    claim.refresh_from_db()
    return claim


def claim_reject(*, claim: CompensationClaim, by: Any, reason: str) -> CompensationClaim:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the customer the reason for the rejection."))
    with transaction.atomic():
        locked = _lock(claim)
        if locked.status != ClaimStatus.FILED:
            raise DomainError(
                _("This claim is already decided (%(status)s).")
                % {"status": locked.get_status_display()}
            )
        claim_change_locked(
            locked,
            ClaimStatus.REJECTED,
            by=by,
            kind="sla_claim_rejected",
            updates={
                "decision_note": reason[:500],
                "decided_by": by if getattr(by, "is_authenticated", False) else None,
                "decided_at": timezone.now(),
            },
        )
        message_to_customer(
            kind="sla_claim_rejected",
            customer=locked.customer,
            contract=locked.contract,
            context={
                **_claim_context(locked),
                "portal_url": _portal_url(locked),
                "reason": reason[:500],
            },
            dedupe_key=f"sla_claim_rejected:{locked.pk}",
        )
    claim.refresh_from_db()
    return claim

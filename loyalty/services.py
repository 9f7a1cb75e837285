"""Writes to the points ledger: earning by rule, redeeming, staff adjustments, expiry,
referrals and the benefits a renewal quote gets.

Every write that depends on the balance locks the customer's row first
(:func:`ledger_lock`): two redemptions at once, or a redemption and the expiry sweep, run
one after the other and the second sees the first's row, so a balance never goes below
zero. Earnings lock it too, and carry a dedupe key with a unique index, so the same
occasion (an event delivered twice, a sweep run twice) earns once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.models import Invoice
from billing.services import add_months
from contracts.models import Contract, ContractStatus
from core.errors import DomainError
from core.events import actor_or_none
from customers.models import Contact, Customer

from .models import (
    EarnRule,
    EntryKind,
    Level,
    PointsEntry,
    Privilege,
    PrivilegeKind,
    QuoteBenefit,
    ReasonCode,
    Redemption,
    Referral,
    Reward,
    RewardKind,
    Trigger,
    reason_text,
)

# The invitation (its limit and its e-mail) has its own module; still importable here.
from .referral_invitations import referral_invite as referral_invite
from .selectors import (
    level_renewal_discount,
    member_level,
    pending_renewal_redemptions,
    points_available,
    points_due_to_expire,
)


def english_reason(code: str, params: dict[str, Any] | None = None) -> str:
    """A reason code's wording in English: the stored text of a coded row (the audit
    trail's, and what shows if the code is ever unknown)."""
    with translation.override("en"):
        return (reason_text(code=code, params=params) or code)[:300]


def ledger_lock(customer: Customer) -> Customer:
    """Lock the customer's row: the one lock over their points ledger (inside the
    caller's transaction)."""
    return Customer.objects.select_for_update().get(pk=customer.pk)


def expiry_date(*, rule: EarnRule, on: dt.date) -> dt.date | None:
    """The day points earned on ``on`` under ``rule`` are gone (None: never). A month
    later than 31 January is the last day of February."""
    if not rule.expiry_months:
        return None
    return add_months(on, rule.expiry_months)


def rule_points(*, rule: EarnRule, amount: Decimal | None) -> int:
    """A rule's points for an occasion: fixed, or per ``per_amount`` of ``amount``."""
    if rule.per_amount is None:
        return rule.points
    if amount is None or amount <= 0:
        return 0
    units = (amount / rule.per_amount).to_integral_value(rounding=ROUND_DOWN)
    return rule.points * int(units)


def points_earn(
    *,
    customer: Customer,
    trigger: str,
    subject: str,
    on: dt.date,
    amount: Decimal | None = None,
    reason: str = "",
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
    by: Any = None,
) -> list[PointsEntry]:
    """Earn the points of every active rule of ``trigger`` for one occasion, named by
    ``subject`` (``invoice:INV-2026-000001``). Once per rule and subject, whatever
    happens: a second call returns no new rows. A reason given as a code
    (:class:`ReasonCode`) and parameters is worded when shown, in the reader's language."""
    if reason_code and not reason:
        reason = english_reason(reason_code, reason_params)
    rules = list(EarnRule.objects.filter(trigger=trigger, is_active=True).order_by("id"))
    if not rules:
        return []
    earned = []
    with transaction.atomic():
        ledger_lock(customer)
        for rule in rules:
            points = rule_points(rule=rule, amount=amount)
            key = f"{rule.code}:{subject}"[:120]
            if points <= 0 or PointsEntry.objects.filter(dedupe_key=key).exists():
                continue
            try:
                # The lock makes the check above exact; the unique index is the backstop.
                with transaction.atomic():
                    entry = PointsEntry.objects.create(
                        customer=customer,
                        kind=EntryKind.EARN,
                        points=points,
                        rule=rule,
                        dedupe_key=key,
                        on=on,
                        expires_on=expiry_date(rule=rule, on=on),
                        reason=reason[:300],
                        reason_code=reason_code,
                        reason_params=reason_params,
                        actor=actor_or_none(by),
                    )
            except IntegrityError:
                continue
            earned.append(entry)
    return earned


def reward_redeem(*, customer: Customer, reward: Reward, on: dt.date, by: Any = None) -> Redemption:
    """Exchange points for a reward: a redemption and its ledger row, refused when the
    points available today do not cover it."""
    if not reward.is_active:
        raise DomainError(_("This reward is no longer offered."))
    with transaction.atomic():
        ledger_lock(customer)
        available = points_available(customer=customer, on=on)
        if available < reward.points_cost:
            raise DomainError(
                _("Not enough points: %(cost)s needed, %(available)s available.")
                % {"cost": reward.points_cost, "available": available}
            )
        redemption = Redemption.objects.create(
            customer=customer,
            reward=reward,
            points=reward.points_cost,
            kind=reward.kind,
            discount_percent=(
                reward.discount_percent
                if reward.kind == RewardKind.RENEWAL_DISCOUNT
                else Decimal("0")
            ),
            created_by=actor_or_none(by),
        )
        PointsEntry.objects.create(
            customer=customer,
            kind=EntryKind.REDEEM,
            points=-reward.points_cost,
            redemption=redemption,
            on=on,
            # Shown as the reward's name in the reader's language.
            reason=(reward.name_en or reward.name)[:300],
            reason_code=ReasonCode.REDEMPTION,
            actor=actor_or_none(by),
        )
    return redemption


def points_adjust(
    *, customer: Customer, points: int, reason: str, by: Any, on: dt.date
) -> PointsEntry:
    """A staff correction with its reason (the ledger row is the audit trail). A debit
    cannot take more than is available."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the points are adjusted."))
    if points == 0:
        raise DomainError(_("An adjustment must add or remove points."))
    with transaction.atomic():
        ledger_lock(customer)
        if points < 0 and points_available(customer=customer, on=on) + points < 0:
            raise DomainError(_("The customer does not have that many points available."))
        return PointsEntry.objects.create(
            customer=customer,
            kind=EntryKind.ADJUST,
            points=points,
            on=on,
            reason=reason[:300],
            actor=actor_or_none(by),
        )


def points_expire(*, customer: Customer, on: dt.date) -> PointsEntry | None:
    """Write off the customer's points due to expire by ``on`` (one row; none when
    nothing is due). Running it again the same day writes nothing."""
    with transaction.atomic():
        ledger_lock(customer)
        due = points_due_to_expire(customer=customer, on=on)
        if due <= 0:
            return None
        return PointsEntry.objects.create(
            customer=customer,
            kind=EntryKind.EXPIRE,
            points=-due,
            on=on,
            reason=english_reason(ReasonCode.EXPIRY),
            reason_code=ReasonCode.EXPIRY,
        )


def customers_with_expiring_points(*, on: dt.date) -> list[int]:
    """Customers who hold credits expiring by ``on`` (the sweep checks each one)."""
    return list(
        PointsEntry.objects.filter(points__gt=0, expires_on__isnull=False, expires_on__lte=on)
        .values_list("customer_id", flat=True)
        .distinct()
        .order_by("customer_id")
    )


# --- occasions ---------------------------------------------------------------------------


def points_on_invoice_paid(*, invoice_number: str) -> list[PointsEntry]:
    """An invoice was paid: the on-time payment rules earn when it was paid by its due
    date (in the business time zone)."""
    invoice = Invoice.objects.select_related("customer").filter(number=invoice_number).first()
    if invoice is None or invoice.paid_at is None:
        return []
    paid_on = timezone.localdate(invoice.paid_at)
    if paid_on > invoice.due_date:
        return []
    return points_earn(
        customer=invoice.customer,
        trigger=Trigger.ON_TIME_PAYMENT,
        subject=f"invoice:{invoice.number}",
        on=paid_on,
        amount=invoice.amount,
        reason_code=ReasonCode.ON_TIME_PAYMENT,
        reason_params={"number": invoice.number},
    )


def points_on_renewal(*, contract: Contract, on: dt.date) -> list[PointsEntry]:
    """A contract was renewed (its renewal signed, or renewed automatically): once per
    renewed contract, on the renewed contract's value."""
    return points_earn(
        customer=contract.customer,
        trigger=Trigger.RENEWAL,
        subject=f"contract:{contract.pk}",
        on=on,
        amount=contract.total_amount,
        reason_code=ReasonCode.RENEWAL,
        reason_params={"number": contract.number},
    )


def anniversary(start: dt.date, years: int) -> dt.date:
    """``start`` plus whole years; 29 February falls on 28 February in other years."""
    return add_months(start, 12 * years)


def tenure_years(*, since: dt.date, on: dt.date) -> int:
    """Whole years from ``since`` to ``on``."""
    years = on.year - since.year
    if years > 0 and anniversary(since, years) > on:
        years -= 1
    return max(0, years)


def points_on_tenure(*, customer: Customer, since: dt.date, on: dt.date) -> list[PointsEntry]:
    """The customer's latest contract anniversary up to ``on`` earns the tenure rules'
    points (once per customer and year; missed earlier years are not back-filled)."""
    years = tenure_years(since=since, on=on)
    if years < 1:
        return []
    return points_earn(
        customer=customer,
        trigger=Trigger.TENURE,
        subject=f"customer:{customer.pk}:year:{years}",
        on=anniversary(since, years),
        reason_code=ReasonCode.TENURE,
        reason_params={"years": years},
    )


# --- referrals ---------------------------------------------------------------------------


def referral_link(*, referral: Referral, customer: Customer) -> Referral:
    """Staff record which new customer a referral brought (by its code)."""
    if customer.pk == referral.referrer_id:
        raise DomainError(_("A customer cannot refer themselves."))
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.referred_customer_id not in (None, customer.pk):
            raise DomainError(_("This referral already brought another customer."))
        if Referral.objects.filter(referred_customer=customer).exclude(pk=locked.pk).exists():
            raise DomainError(_("This customer was already referred by someone else."))
        locked.referred_customer = customer
        locked.save(update_fields=["referred_customer"])
    return locked


def _referral_for(customer: Customer) -> Referral | None:
    linked = Referral.objects.filter(referred_customer=customer).first()
    if linked is not None:
        return linked
    emails = [
        e.lower()
        for e in Contact.objects.filter(customer=customer).values_list("email", flat=True)
        if e
    ]
    if not emails:
        return None
    return (
        Referral.objects.filter(contact_email__in=emails, referred_customer__isnull=True)
        .exclude(referrer=customer)
        .order_by("created_at", "id")
        .first()
    )


# Statuses a contract has once it was signed (a draft or a void one never counted).
SIGNED_STATUSES = (
    ContractStatus.SCHEDULED,
    ContractStatus.ACTIVE,
    ContractStatus.RENEWED,
    ContractStatus.EXPIRED,
    ContractStatus.TERMINATED,
)


def referral_on_contract_active(*, contract: Contract, on: dt.date) -> list[PointsEntry]:
    """A contract became active. If it is the customer's first signed contract and a
    referral brought them (linked by staff, or one of their contacts' e-mail was
    invited), the referrer earns the referral rules' points, once per referral."""
    customer = contract.customer
    earlier = (
        Contract.objects.filter(customer=customer, status__in=SIGNED_STATUSES)
        .exclude(pk=contract.pk)
        .filter(start_date__lt=contract.start_date)
        .exists()
    )
    if earlier:
        return []
    with transaction.atomic():
        referral = _referral_for(customer)
        if referral is None:
            return []
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.referred_customer_id not in (None, customer.pk):
            return []
        if locked.signed_at is None:
            locked.referred_customer = customer
            locked.signed_at = timezone.now()
            locked.save(update_fields=["referred_customer", "signed_at"])
        return points_earn(
            customer=locked.referrer,
            trigger=Trigger.REFERRAL,
            subject=f"referral:{locked.pk}",
            on=on,
            reason_code=ReasonCode.REFERRAL,
            reason_params={"name": customer.name},
        )


# --- renewal quotes -----------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteLoyalty:
    """What loyalty takes off a new renewal quote (or adds to it free of charge), and the
    rows that say why."""

    discount_percent: Decimal
    benefits: list[QuoteBenefit]

    @property
    def services(self) -> list[QuoteBenefit]:
        """The extra services to add as complimentary lines (product, quantity)."""
        return [b for b in self.benefits if b.plan_id is not None]


def quote_benefits_apply(*, customer: Customer, quote_ref: str, on: dt.date) -> QuoteLoyalty:
    """The member's benefits on a new renewal quote: the level's renewal discount, its
    extra services (each a product given free, for the quote to add as a line at price 0)
    and every renewal discount redeemed and not used yet (now used by this quote).
    Written once per quote: a second call for the same quote returns what was applied."""
    existing = list(
        QuoteBenefit.objects.filter(quote_ref=quote_ref).select_related(
            "plan", "level", "privilege"
        )
    )
    if existing:
        return _loyalty(existing)
    with transaction.atomic():
        return renewal_benefits_record(
            renewal_benefits_due(customer=customer, on=on), quote_ref=quote_ref
        )


def renewal_benefits_due(*, customer: Customer, on: dt.date) -> QuoteLoyalty:
    """What a renewal made on ``on`` gets, not written yet (the rows are unsaved): the same
    for a quote and for an automatic renewal, which needs them before its successor (and
    so the number that names them) exists. Inside a transaction: the pending redeemed
    discounts are locked, so that :func:`renewal_benefits_record` uses each of them."""
    return _renewal_benefits(customer=customer, on=on, lock=True)


def renewal_benefits_preview(*, customer: Customer, on: dt.date) -> QuoteLoyalty:
    """What :func:`renewal_benefits_due` would find, read only: nothing is locked (a page
    saying what a renewal will cost must not wait for, or hold up, a renewal running at
    the same time). Never pass it to :func:`renewal_benefits_record`."""
    return _renewal_benefits(customer=customer, on=on, lock=False)


def _renewal_benefits(*, customer: Customer, on: dt.date, lock: bool) -> QuoteLoyalty:
    benefits: list[QuoteBenefit] = []
    level = member_level(customer=customer, on=on)
    privilege: Privilege | None = level_renewal_discount(level=level)
    if privilege is not None:
        benefits.append(
            QuoteBenefit(
                customer=customer,
                level=level,
                privilege=privilege,
                discount_percent=privilege.discount_percent,
            )
        )
    for service in level_extra_services(level=level):
        benefits.append(
            QuoteBenefit(
                customer=customer,
                level=level,
                privilege=service,
                discount_percent=Decimal("0"),
                plan=service.plan,
                quantity=service.quantity,
            )
        )
    pending = pending_renewal_redemptions(customer=customer)
    for redemption in pending.select_for_update() if lock else pending:
        if redemption.discount_percent > 0:
            benefits.append(
                QuoteBenefit(
                    customer=customer,
                    redemption=redemption,
                    discount_percent=redemption.discount_percent,
                )
            )
    return _loyalty(benefits)


def renewal_benefits_record(
    due: QuoteLoyalty, *, quote_ref: str = "", contract_ref: str = ""
) -> QuoteLoyalty:
    """Write the benefits :func:`renewal_benefits_due` found, named by the quote or (an
    automatic renewal) the successor contract; the redeemed discounts are now used by it."""
    if bool(quote_ref) == bool(contract_ref):
        raise ValueError("name either the quote or the contract")
    now = timezone.now()
    written: list[QuoteBenefit] = []
    for benefit in due.benefits:
        if benefit.redemption_id is not None:
            # Compare-and-swap: a redemption is used by one renewal only.
            taken = Redemption.objects.filter(pk=benefit.redemption_id, used_quote_ref="").update(
                used_quote_ref=quote_ref or contract_ref, used_at=now
            )
            if not taken:
                continue
        benefit.quote_ref = quote_ref
        benefit.contract_ref = contract_ref
        benefit.save()
        written.append(benefit)
    return _loyalty(written)


def _loyalty(benefits: list[QuoteBenefit]) -> QuoteLoyalty:
    total = sum((b.discount_percent for b in benefits), Decimal("0"))
    return QuoteLoyalty(min(total, Decimal("100")), benefits)


def contract_benefits(*, contract_ref: str) -> list[QuoteBenefit]:
    """The benefits an automatic renewal gave the contract it made, with their reasons."""
    return list(
        QuoteBenefit.objects.filter(contract_ref=contract_ref).select_related(
            "level", "redemption__reward", "privilege__plan", "plan"
        )
    )


def level_extra_services(*, level: Level | None) -> list[Privilege]:
    """The level's extra services that name their product (the admin requires one; a
    row written otherwise gives nothing rather than a line nobody can recognise)."""
    if level is None:
        return []
    return list(
        level.privileges.filter(kind=PrivilegeKind.EXTRA_SERVICE, plan__isnull=False)
        .select_related("plan")
        .order_by("id")
    )


def quote_services_given(
    *, quote_refs: Iterable[str] | QuerySet[Any, Any], contract_ref: str = ""
) -> list[QuoteBenefit]:
    """The extra services given free on these quotes (the marks of their complimentary
    lines), oldest first. ``quote_refs`` may be a queryset of numbers (one query);
    ``contract_ref`` adds those an automatic renewal gave the contract of that number."""
    refs = quote_refs if isinstance(quote_refs, QuerySet) else list(quote_refs)
    named = Q(quote_ref__in=refs)
    if contract_ref:
        named |= Q(contract_ref=contract_ref)
    return list(
        QuoteBenefit.objects.filter(named, plan__isnull=False)
        .select_related("plan", "level", "privilege")
        .order_by("id")
    )


class PricedLineLike(Protocol):
    pk: Any
    plan_id: Any
    unit_price: Decimal


def complimentary_matches(
    *, benefits: Iterable[QuoteBenefit], lines: Sequence[PricedLineLike]
) -> dict[Any, QuoteBenefit]:
    """Which of ``lines`` (a quote's, or the contract's made from it) are the
    complimentary lines of these benefits: the line's pk -> its benefit. The one rule
    for recognising them: a line of the benefit's product at price 0, one line per
    benefit. A line staff repriced or removed is no longer one (they did it on purpose)."""
    matched: dict[Any, QuoteBenefit] = {}
    for benefit in benefits:
        if benefit.plan_id is None:
            continue
        for line in lines:
            if line.pk not in matched and line.plan_id == benefit.plan_id and line.unit_price == 0:
                matched[line.pk] = benefit
                break
    return matched


def may_be_complimentary(lines: Iterable[PricedLineLike]) -> bool:
    """Whether any line could be a complimentary one (a product at price 0): without
    one there is nothing to look up."""
    return any(line.plan_id is not None and line.unit_price == 0 for line in lines)


def complimentary_line_description(*, benefit: QuoteBenefit, language: str) -> str:
    """The complimentary line's text, in ``language`` (the customer's: the line is
    written once and printed on their quote and contract): the service and that it is a
    member privilege of the level."""
    with translation.override(language or None):
        level = benefit.level.display_name if benefit.level is not None else ""
        text = _("%(service)s (complimentary: member privilege of the %(level)s level)") % {
            "service": benefit.service_name,
            "level": level,
        }
    return text[:300]

"""Customer segments: who is in one (at an as-of date, within a viewer's book), which
segments a user sees, and saving them. The API other features build on (campaigns, lists,
exports):

- ``segment_members(segment, *, as_of, viewer=None) -> QuerySet[Customer]``
- ``segment_member_count(segment, *, as_of, viewer=None) -> int``
- ``segment_contracts(segment, *, as_of, viewer=None) -> QuerySet[Contract]``: the
  contracts in force of the members that meet the contract criteria (all of the
  members' contracts in force when the segment has none)
- ``criteria_members(criteria, *, as_of, viewer)`` for criteria not saved (a preview)

``viewer`` is the staff user the members are read for: only customers in their book
(``customers.access``: an account manager their own, a team lead everyone). Without a
viewer, the segment owner's book: a segment never reaches more than its owner sees.
Members are read at ``as_of`` (a business date the caller passes; nothing here reads the
clock), so a campaign scheduled for a date selects on that date's facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractLine, ContractStatus
from contracts.term_length import IN_FORCE, term_class_q
from core.errors import DomainError
from customers.access import customers_visible_to
from customers.models import Customer
from customers.tags import has_tag
from insights.models import ContractScore

from .cadence_dates import not_contacted_since
from .models import Segment
from .segment_criteria import SegmentCriteria, TagMatch, propensity_band_range
from .selectors import last_contact_at


def _contract_q(criteria: SegmentCriteria, *, as_of: dt.date) -> Q:
    """The contract criteria of a segment, for a Contract queryset (always: in force)."""
    q = Q(status__in=IN_FORCE)
    if criteria.term:
        q &= term_class_q(criteria.term)
    if criteria.renewal_within_days:
        # An active contract whose term ends between as_of and as_of + N days (inclusive):
        # the renewal window a reminder or a campaign works in.
        q &= Q(
            status=ContractStatus.ACTIVE,
            end_date__gte=as_of,
            end_date__lte=as_of + dt.timedelta(days=criteria.renewal_within_days),
        )
    if criteria.propensity_bands:
        bands = Q()
        for band in criteria.propensity_bands:
            low, high = propensity_band_range(band)
            bands |= Q(score__gte=low, score__lte=high)
        # Scores exist for active contracts ending within the scoring horizon (120 days).
        q &= Q(Exists(ContractScore.objects.filter(bands, contract=OuterRef("pk"))))
    if criteria.plans:
        # The contract's plan, or a product on one of its lines.
        q &= Q(plan_id__in=criteria.plans) | Q(
            Exists(ContractLine.objects.filter(contract=OuterRef("pk"), plan_id__in=criteria.plans))
        )
    return q


def _customer_q(criteria: SegmentCriteria, *, as_of: dt.date) -> Q:
    q = Q()
    if criteria.tiers:
        # The effective tier: a manual override wins over the computed one.
        q &= Q(tier_override__in=criteria.tiers) | Q(tier_override="", tier__in=criteria.tiers)
    if criteria.tags:
        tagged = [has_tag(t) for t in criteria.tags]
        combined = tagged[0]
        for more in tagged[1:]:
            combined = combined & more if criteria.tags_match == TagMatch.ALL else combined | more
        q &= combined
    if criteria.countries:
        q &= Q(country__in=criteria.countries)
    if criteria.regions:
        q &= Q(region__in=criteria.regions)
    if criteria.has_contract_criteria:
        contracts = Contract.objects.filter(_contract_q(criteria, as_of=as_of))
        q &= Q(Exists(contracts.filter(customer=OuterRef("pk"))))
    return q


def criteria_members(
    criteria: SegmentCriteria, *, as_of: dt.date, viewer: Any
) -> QuerySet[Customer]:
    """The customers in ``viewer``'s book meeting ``criteria`` at ``as_of``, by name."""
    qs = customers_visible_to(viewer).filter(_customer_q(criteria, as_of=as_of))
    if criteria.not_contacted_days:
        # Not contacted (call, visit, email, meeting) on or after as_of - N days, or never.
        since = not_contacted_since(as_of=as_of, days=criteria.not_contacted_days)
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        qs = qs.annotate(last_contact=last_contact_at()).filter(
            Q(last_contact__isnull=True) | Q(last_contact__lt=start)
        )
    return qs.order_by("name", "pk")


def segment_members(segment: Segment, *, as_of: dt.date, viewer: Any = None) -> QuerySet[Customer]:
    """The segment's customers at ``as_of`` in ``viewer``'s book (default: the owner's).
    Criteria no longer valid (a hand-edited row) select nobody rather than everybody."""
    try:
        criteria = segment.parsed_criteria()
    except ValidationError:
        return Customer.objects.none()
    return criteria_members(criteria, as_of=as_of, viewer=viewer or segment.owner)


def segment_member_count(segment: Segment, *, as_of: dt.date, viewer: Any = None) -> int:
    return segment_members(segment, as_of=as_of, viewer=viewer).count()


def segment_contracts(
    segment: Segment, *, as_of: dt.date, viewer: Any = None
) -> QuerySet[Contract]:
    """The contracts in force of the segment's members that meet its contract criteria."""
    members = segment_members(segment, as_of=as_of, viewer=viewer)
    try:
        criteria = segment.parsed_criteria()
    except ValidationError:
        return Contract.objects.none()
    return (
        Contract.objects.filter(_contract_q(criteria, as_of=as_of))
        .filter(customer__in=members.values("pk"))
        .order_by("end_date", "number")
    )


def segments_visible_to(user: Any) -> QuerySet[Segment]:
    """A staff user's own segments and those colleagues share."""
    if not (user and user.is_authenticated and user.is_staff):
        return Segment.objects.none()
    return Segment.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")


def segments_editable_by(user: Any) -> QuerySet[Segment]:
    """Only the owner edits or deletes a segment."""
    if not (user and user.is_authenticated and user.is_staff):
        return Segment.objects.none()
    return Segment.objects.filter(owner=user)


def segment_save(
    *,
    by: Any,
    name: str,
    criteria: SegmentCriteria,
    shared: bool,
    segment: Segment | None = None,
) -> Segment:
    """Create a segment owned by ``by``, or change ``segment`` (``by`` must own it)."""
    if criteria.is_empty:
        raise DomainError(_("Choose at least one criterion."))
    if segment is not None and segment.owner_id != by.pk:
        raise DomainError(_("Only the owner can change this segment."))
    row = segment or Segment(owner=by)
    row.name = name.strip()
    row.shared = shared
    row.criteria = criteria.to_json()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise DomainError(
            _("You already have a segment named “%(name)s”.") % {"name": row.name}
        ) from None
    return row


def segment_delete(*, segment: Segment, by: Any) -> None:
    if segment.owner_id != by.pk:
        raise DomainError(_("Only the owner can delete this segment."))
    segment.delete()

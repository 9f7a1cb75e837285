"""Reads of the relations app: the due and overdue contact list, the customers not
contacted in N days, the team's tasks with counts by owner, the dashboard figures.

Every read takes the as-of date (or time) from its caller and scopes by
``relations.teams.team_scope``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Task, User
from customers.models import Customer
from insights.models import Feedback, FeedbackCategory, FeedbackStatus, Interaction, InteractionKind

from .cadence_dates import not_contacted_since
from .contact_plans import customers_in_care, interaction_kind_of, matching_interaction
from .models import ComplaintEscalation, PlannedContact, PlannedContactStatus
from .teams import TeamScope

DEFAULT_NOT_CONTACTED_DAYS = 90
# A note is not a contact with the customer.
CONTACT_KINDS = [k for k in InteractionKind.values if k != InteractionKind.NOTE]


def not_contacted_days_default() -> int:
    return int(settings.RENEWDESK.get("NOT_CONTACTED_DAYS", DEFAULT_NOT_CONTACTED_DAYS))


def last_contact_at(customer_ref: str = "pk") -> Subquery:
    """The customer's (the outer row's ``customer_ref``) latest call, visit, email or
    meeting."""
    return Subquery(
        Interaction.objects.filter(customer_id=OuterRef(customer_ref), kind__in=CONTACT_KINDS)
        .order_by("-at")
        .values("at")[:1]
    )


def _last_contact_before(since: dt.date) -> Q:
    """Customers (annotated ``last_contact``) not contacted on or after ``since``."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    return Q(last_contact__isnull=True) | Q(last_contact__lt=start)


# Who "not contacted in N days" counts, said on every page that shows it.
NOT_CONTACTED_POPULATION = _("Customers with a contract in force only.")


def not_contacted_in(*, as_of: dt.date, days: int) -> Q:
    """The one rule of "not contacted in N days", for the dashboard figure, the list it
    links to and the customer list's filter: a customer with a contract in force (active,
    scheduled or awaiting payment: those the contact plans look after; a customer whose
    contracts ended is win-back's, not a contact owed) and no call, visit, email or
    meeting in the ``days`` days up to ``as_of``. EXISTS per row: the query count of a
    page using it does not grow with its rows."""
    start = timezone.make_aware(
        dt.datetime.combine(not_contacted_since(as_of=as_of, days=days), dt.time.min)
    )
    recent = Interaction.objects.filter(
        customer_id=OuterRef("pk"), kind__in=CONTACT_KINDS, at__gte=start
    )
    return customers_in_care() & ~Q(Exists(recent))


@dataclass(frozen=True)
class ContactFilters:
    manager_id: int | None = None
    kind: str = ""
    not_contacted_days: int | None = None


def due_contacts(
    *, scope: TeamScope, as_of: dt.date, filters: ContactFilters | None = None
) -> QuerySet[PlannedContact]:
    """Open planned contacts that count from ``as_of`` or earlier, overdue first (by due
    date). One already met by a logged interaction (from the customer page, before the
    nightly reconciliation) is left out: the list is right at once."""
    filters = filters or ContactFilters()
    qs = scope.apply(
        PlannedContact.objects.filter(status=PlannedContactStatus.PLANNED, opens_on__lte=as_of),
        field="customer__account_manager",
    )
    if filters.manager_id:
        qs = qs.filter(customer__account_manager_id=filters.manager_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    qs = qs.annotate(interaction_kind=interaction_kind_of()).filter(~Exists(matching_interaction()))
    qs = qs.annotate(last_contact=last_contact_at("customer_id"))
    if filters.not_contacted_days:
        qs = qs.filter(
            _last_contact_before(not_contacted_since(as_of=as_of, days=filters.not_contacted_days))
        )
    return qs.select_related("customer", "customer__account_manager", "task").order_by(
        "due_date", "customer__name", "id"
    )


def customers_not_contacted(
    *, scope: TeamScope, as_of: dt.date, days: int, manager_id: int | None = None
) -> QuerySet[Customer]:
    """The customers of :func:`not_contacted_in` in the scope, with their last contact;
    never contacted first, then the longest ago."""
    qs = scope.apply(
        Customer.objects.filter(not_contacted_in(as_of=as_of, days=days)), field="account_manager"
    )
    if manager_id:
        qs = qs.filter(account_manager_id=manager_id)
    return (
        qs.annotate(last_contact=last_contact_at())
        .select_related("account_manager")
        .order_by(F("last_contact").asc(nulls_first=True), "name", "pk")
    )


@dataclass
class OwnerCount:
    owner: User
    open: int
    overdue: int
    estimate_minutes: int


def team_tasks(
    *, scope: TeamScope, owner_id: int | None = None, overdue_on: dt.date | None = None
) -> QuerySet[Task]:
    """The scope's open tasks by due date (``overdue_on``: only those due before it)."""
    qs = scope.apply(Task.objects.filter(done_at__isnull=True), field="assignee")
    if owner_id:
        qs = qs.filter(assignee_id=owner_id)
    if overdue_on is not None:
        qs = qs.filter(due_date__lt=overdue_on)
    return qs.select_related("assignee", "customer", "contract").order_by("due_date", "id")


def team_tasks_done(*, scope: TeamScope, limit: int = 10) -> list[Task]:
    """The scope's most recently completed tasks, with who completed them and the outcome
    they wrote (a team lead reads what came of the team's work)."""
    qs = scope.apply(Task.objects.filter(done_at__isnull=False), field="assignee")
    return list(
        qs.select_related("assignee", "done_by", "customer").order_by("-done_at", "-id")[:limit]
    )


def team_task_counts(*, scope: TeamScope, as_of: dt.date) -> list[OwnerCount]:
    """Open and overdue tasks and their estimated minutes per owner, most overdue first;
    every member of a team is listed, also with nothing open."""
    rows = {
        r["assignee_id"]: r
        for r in scope.apply(Task.objects.filter(done_at__isnull=True), field="assignee")
        .values("assignee_id")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(due_date__lt=as_of)),
            minutes=Sum("estimate_minutes"),
        )
    }
    owners = User.objects.filter(Q(pk__in=list(rows)) | Q(pk__in=scope.member_ids))
    counts = [
        OwnerCount(
            owner=user,
            open=rows.get(user.pk, {}).get("open", 0),
            overdue=rows.get(user.pk, {}).get("overdue", 0),
            estimate_minutes=rows.get(user.pk, {}).get("minutes") or 0,
        )
        for user in owners
    ]
    return sorted(counts, key=lambda c: (-c.overdue, -c.open, str(c.owner)))


def escalated_overdue_complaints(*, scope: TeamScope) -> QuerySet[ComplaintEscalation]:
    """Escalations whose complaint is still unanswered, for customers in the scope."""
    return scope.apply(
        ComplaintEscalation.objects.filter(
            feedback__category=FeedbackCategory.COMPLAINT,
            feedback__status=FeedbackStatus.OPEN,
            feedback__first_response_at__isnull=True,
        ),
        field="feedback__customer__account_manager",
    ).select_related("feedback", "feedback__customer", "escalated_to")


def overdue_complaints(*, now: dt.datetime) -> QuerySet[Feedback]:
    """Complaints past their answer deadline with no answer yet."""
    return Feedback.objects.filter(
        category=FeedbackCategory.COMPLAINT,
        status=FeedbackStatus.OPEN,
        first_response_at__isnull=True,
        sla_due_at__lt=now,
    )


def relations_dashboard_figures(*, scope: TeamScope, as_of: dt.date) -> dict[str, Any]:
    """The dashboard's relationship figures for the user's book or team."""
    days = not_contacted_days_default()
    contacts = due_contacts(scope=scope, as_of=as_of)
    return {
        "not_contacted_days": days,
        "not_contacted_population": NOT_CONTACTED_POPULATION,
        "not_contacted": customers_not_contacted(scope=scope, as_of=as_of, days=days).count(),
        "due_contacts": contacts.count(),
        "overdue_contacts": contacts.filter(due_date__lt=as_of).count(),
        "escalated_complaints": escalated_overdue_complaints(scope=scope).count(),
    }

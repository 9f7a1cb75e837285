"""Satisfaction surveys: CSAT after a renewal and after a cancellation, NPS every
``SURVEY_NPS_EVERY_DAYS`` (default 180; 0 switches it off). Sent through the
notification outbox with a tokenised link; answered in the portal or from the link.

Results (reads) are at the bottom: per customer, per account manager, overall.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Contract, ContractStatus
from core.errors import DomainError
from core.tokens import token_make, token_read
from customers.access import customers_visible_to
from customers.models import Customer
from notifications.services import message_enqueue
from retention.models import CancellationRequest

from .models import SURVEY_SCALES, Survey, SurveyKind

TOKEN_PURPOSE = "survey"  # noqa: S105 (a signing salt suffix, not a secret)
TOKEN_MAX_AGE = 60 * 86400
MESSAGE_KIND = "satisfaction_survey_request"

QUESTIONS: dict[str, Any] = {
    SurveyKind.CSAT_RENEWAL: gettext_lazy(
        "How satisfied are you with the renewal of your contract? (1 = very unsatisfied, "
        "5 = very satisfied)"
    ),
    SurveyKind.CSAT_CANCELLATION: gettext_lazy(
        "How satisfied are you with how we handled your cancellation? (1 = very "
        "unsatisfied, 5 = very satisfied)"
    ),
    SurveyKind.NPS: gettext_lazy(
        "How likely are you to recommend us to a friend or colleague? (0 = not at all "
        "likely, 10 = extremely likely)"
    ),
}


def nps_every_days() -> int:
    return int(settings.RENEWDESK.get("SURVEY_NPS_EVERY_DAYS", 180))


def survey_link(survey: Survey) -> str:
    token = token_make(purpose=TOKEN_PURPOSE, obj_id=survey.pk, max_age=TOKEN_MAX_AGE)
    return settings.SITE_URL + reverse("surveys:token", args=[token])


def survey_from_token(token: str) -> Survey:
    """Raises core.tokens.TokenInvalid / TokenExpired, or Survey.DoesNotExist."""
    return Survey.objects.select_related("customer").get(
        pk=token_read(token=token, purpose=TOKEN_PURPOSE)
    )


def survey_send(
    *, customer: Customer, kind: str, dedupe_key: str, contract: Contract | None = None
) -> tuple[Survey, bool]:
    """Create the survey once per ``dedupe_key`` and queue its message after commit."""
    with transaction.atomic():
        survey, created = Survey.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={"customer": customer, "kind": kind, "contract": contract},
        )
        if created:
            transaction.on_commit(lambda: _send_message(survey))
    return survey, created


def _send_message(survey: Survey) -> None:
    # The survey was created with the customer and contract the caller had just read.
    customer = survey.customer
    channel = "email" if customer.notify_email else "in_app"
    message_enqueue(
        recipient_customer=customer,
        channel=channel,
        kind=MESSAGE_KIND,
        language=customer.language,
        context={
            "customer_name": customer.name,
            "survey_kind": survey.kind,
            "contract_number": survey.contract.number if survey.contract else "",
            "link": survey_link(survey),
            # The portal page listing the customer's surveys (after login): the way in
            # once the one-click link has expired.
            "surveys_url": settings.SITE_URL + reverse("surveys:list"),
        },
        dedupe_key=f"survey:{survey.pk}:{channel}",
        contract=survey.contract,
    )


def survey_answer(*, survey: Survey, score: int, comment: str = "", by: Any = None) -> Survey:
    """Record the answer once (compare-and-swap on answered_at)."""
    low, high = SURVEY_SCALES[SurveyKind(survey.kind)]
    if not isinstance(score, int) or not low <= score <= high:
        raise DomainError(
            _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    actor = by if (by is not None and getattr(by, "is_authenticated", False)) else None
    updated = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        answered_at=timezone.now(), score=score, comment=comment.strip()[:5000], answered_by=actor
    )
    if not updated:
        raise DomainError(_("This survey was already answered. Thank you!"))
    survey.refresh_from_db()
    return survey


# --- triggers ------------------------------------------------------------------------


# A CSAT is asked only about a term that ended at most this many days ago.
CSAT_MAX_AGE_DAYS = 30


def on_contract_status_changed(*, contract_id: int, to_status: str) -> Survey | None:
    """CSAT after a renewal (the renewed term) or after a cancellation (a terminated
    term, or an expired one that a cancellation request ended)."""
    # Most status changes (sent, signed, activated…) never lead to a survey: decide that
    # from the signal before reading anything.
    if to_status not in (
        ContractStatus.RENEWED,
        ContractStatus.TERMINATED,
        ContractStatus.EXPIRED,
    ):
        return None
    contracts = Contract.objects.select_related("customer").filter(pk=contract_id)
    contract: Contract | None
    cancellation_requested = False
    if to_status == ContractStatus.EXPIRED:
        # Read with the contract: only an expiry that a cancellation request ended counts.
        annotated = contracts.annotate(
            cancellation_requested=Exists(
                CancellationRequest.objects.filter(contract=OuterRef("pk"))
            )
        ).first()
        contract = annotated
        cancellation_requested = annotated is not None and bool(annotated.cancellation_requested)
    else:
        contract = contracts.first()
    if contract is None:
        return None
    # A term that ended long ago is history being written (seed_demo, a back-filled
    # import), not an experience to ask about: no survey about a renewal from 2023.
    if contract.end_date < timezone.localdate() - dt.timedelta(days=CSAT_MAX_AGE_DAYS):
        return None
    if to_status == ContractStatus.RENEWED:
        kind = SurveyKind.CSAT_RENEWAL
    elif to_status == ContractStatus.TERMINATED or cancellation_requested:
        kind = SurveyKind.CSAT_CANCELLATION
    else:
        return None
    survey, _created = survey_send(
        customer=contract.customer,
        kind=kind,
        contract=contract,
        dedupe_key=f"{kind}:{contract.pk}",
    )
    return survey


def nps_sweep(*, today: dt.date, batch_size: int = 1000) -> int:
    """Send an NPS survey to every customer with an active contract who has not been
    asked in the last ``SURVEY_NPS_EVERY_DAYS`` days. Idempotent per period."""
    every = nps_every_days()
    if every <= 0:
        return 0
    since = timezone.now() - dt.timedelta(days=every)
    period = today.toordinal() // every
    due = (
        Customer.objects.filter(
            Exists(Contract.objects.filter(customer=OuterRef("pk"), status=ContractStatus.ACTIVE))
        )
        .exclude(
            Exists(
                Survey.objects.filter(
                    customer=OuterRef("pk"), kind=SurveyKind.NPS, sent_at__gte=since
                )
            )
        )
        .order_by("pk")
    )
    sent = 0
    for customer in due.iterator(chunk_size=batch_size):
        _survey, created = survey_send(
            customer=customer, kind=SurveyKind.NPS, dedupe_key=f"nps:{customer.pk}:{period}"
        )
        sent += int(created)
    return sent


# --- results -------------------------------------------------------------------------


@dataclass
class SatisfactionRow:
    key: Any
    label: str
    sent: int = 0
    answered: int = 0
    csat_avg: float | None = None
    csat_n: int = 0
    nps: int | None = None
    nps_n: int = 0

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.sent, 1) if self.sent else None


def _aggregates() -> dict[str, Any]:
    csat = Q(kind__in=[SurveyKind.CSAT_RENEWAL, SurveyKind.CSAT_CANCELLATION], score__isnull=False)
    nps = Q(kind=SurveyKind.NPS, score__isnull=False)
    return {
        "sent": Count("id"),
        "answered": Count("id", filter=Q(answered_at__isnull=False)),
        "csat_avg": Avg("score", filter=csat),
        "csat_n": Count("id", filter=csat),
        "nps_n": Count("id", filter=nps),
        "promoters": Count("id", filter=nps & Q(score__gte=9)),
        "detractors": Count("id", filter=nps & Q(score__lte=6)),
    }


def _row(key: Any, label: str, r: dict[str, Any]) -> SatisfactionRow:
    nps = None
    if r["nps_n"]:
        nps = round(100 * (r["promoters"] - r["detractors"]) / r["nps_n"])
    return SatisfactionRow(
        key=key,
        label=label,
        sent=r["sent"],
        answered=r["answered"],
        csat_avg=round(float(r["csat_avg"]), 2) if r["csat_avg"] is not None else None,
        csat_n=r["csat_n"],
        nps=nps,
        nps_n=r["nps_n"],
    )


def surveys_visible_to(user: Any) -> QuerySet[Survey]:
    return Survey.objects.filter(customer__in=customers_visible_to(user))


def satisfaction_results(*, surveys: QuerySet[Survey]) -> dict[str, Any]:
    """Overall, per account manager and per customer (three GROUP BY queries).
    NPS = % promoters (9–10) − % detractors (0–6) of the NPS answers; CSAT = mean 1–5."""
    overall = _row(None, _("All"), surveys.aggregate(**_aggregates()))
    per_manager = []
    for r in (
        surveys.order_by()
        .values(
            "customer__account_manager",
            "customer__account_manager__username",
            "customer__account_manager__first_name",
            "customer__account_manager__last_name",
        )
        .annotate(**_aggregates())
    ):
        first = r["customer__account_manager__first_name"] or ""
        last = r["customer__account_manager__last_name"] or ""
        name = f"{first} {last}".strip()
        label = name or r["customer__account_manager__username"] or _("Unassigned")
        per_manager.append(_row(r["customer__account_manager"], label, r))
    per_customer = [
        _row(r["customer"], f"{r['customer__code']} {r['customer__name']}", r)
        for r in surveys.order_by()
        .values("customer", "customer__code", "customer__name")
        .annotate(**_aggregates())
        .order_by("-answered", "customer__code")[:200]
    ]
    return {"overall": overall, "per_manager": per_manager, "per_customer": per_customer}

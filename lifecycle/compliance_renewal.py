"""What the jurisdiction rules ask of one automatic renewal (docs/compliance.md, "What the
lifecycle does").

``lifecycle.auto_renewal`` asks, for a contract due to renew:

1. the **notice**: a renewal notice for this term reached the customer, counted by the
   proofs the contract's rules accept (e-mail accepted by the server, SMS with a delivery
   receipt, portal message read), on a day of the rules' notice window in the customer's
   calendar (``term_notice_window``; no window: any day of the term);
2. the **price**: when the successor's price per month rises above the rules' threshold,
   a notice delivered inside the price-change window, or an explicit consent given since
   the window opened (``price_change_hold_reason``);
3. the **form**: Germany's "after the initial term, only into an open-ended contract"
   (``open_ended_months``).

The rules are those the contract was signed under (``compliance.selectors.
contract_ruleset_snapshot``). Pure reads: the writes (hold, conversion) are in
``lifecycle.auto_renewal``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from compliance.calendar import local_day, local_zone, term_months
from compliance.models import ContractRules
from compliance.rules import (
    NoticeWindow,
    Rules,
    notice_window,
    price_change_needs_notice,
    price_change_window,
    refusal_deadline_for,
)
from contracts.models import AutoRenewConsent, ConsentKind, Contract
from notifications.selectors import renewal_notice_delivered, renewal_notice_deliveries
from renewals.services.outcomes import (
    BLOCKED_NO_NOTICE,
    BLOCKED_NOTICE_NOT_IN_TIME,
    BLOCKED_PRICE_RISE,
)


def contract_zone(contract: Contract) -> ZoneInfo:
    """The zone of the customer's calendar: the place captured with the contract's rules,
    else the customer's place today."""
    place = ContractRules.objects.filter(contract=contract).values_list("country", "region").first()
    if place is None:
        place = (contract.customer.country, contract.customer.region)
    return local_zone(*place)


def term_notice_window(contract: Contract, rules: Rules) -> NoticeWindow | None:
    """The days on which this term's automatic-renewal notice may reach the customer."""
    return notice_window(
        rules,
        contract.start_date,
        contract.end_date,
        refusal_deadline_for(contract.end_date, contract.notice_period_days),
    )


def _proofs_text(rules: Rules) -> str:
    return ", ".join(sorted(rules.delivered_notice_channels)) or "-"


def notice_delivered_in_time(contract: Contract, rules: Rules) -> bool:
    """Whether a renewal notice counted as delivered reached the customer inside the
    window (an empty window: never)."""
    window = term_notice_window(contract, rules)
    if window is not None and window.is_empty:
        return False
    return renewal_notice_delivered(
        contract=contract,
        proofs=rules.delivered_notice_channels,
        window=window,
        zone=contract_zone(contract) if window is not None else None,
    )


# Why a renewal is held: a code and its parameters (strings), kept in the held event's
# payload and rendered in the reader's language by ``hold_reason_text``: a reason written
# once must read in Chinese for a Chinese reader and in English for an English one.
NOTICE_NONE = "notice_none"  # no window: no notice reached the customer at all
NOTICE_NO_DAY = "notice_no_day"  # the rules leave no day for the notice
NOTICE_NOT_IN_WINDOW = "notice_not_in_window"  # none reached the customer, window given
NOTICE_OUTSIDE_WINDOW = "notice_outside_window"  # one did, on a day outside the window
PRICE_RISE = "price_rise"  # a price rise without its notice or a consent
# The cause, for the texts that name it in a few words (case flag, task title, messages).
CAUSE_NO_NOTICE = BLOCKED_NO_NOTICE
CAUSE_NOTICE_NOT_IN_TIME = BLOCKED_NOTICE_NOT_IN_TIME
CAUSE_PRICE_RISE = BLOCKED_PRICE_RISE
_CAUSES = {
    NOTICE_NONE: CAUSE_NO_NOTICE,
    NOTICE_NOT_IN_WINDOW: CAUSE_NO_NOTICE,
    NOTICE_NO_DAY: CAUSE_NOTICE_NOT_IN_TIME,
    NOTICE_OUTSIDE_WINDOW: CAUSE_NOTICE_NOT_IN_TIME,
    PRICE_RISE: CAUSE_PRICE_RISE,
}

HoldReason = dict[str, Any]  # {"code": str, "params": {name: str}}


def _reason(code: str, **params: str) -> HoldReason:
    return {"code": code, "params": params}


def hold_cause(reasons: list[HoldReason]) -> str:
    """The cause of a hold, the first reason's (a price rise: only when the notice was fine)."""
    for reason in reasons:
        cause = _CAUSES.get(str(reason.get("code", "")))
        if cause:
            return cause
    return CAUSE_NO_NOTICE


def _delivered_days(contract: Contract, rules: Rules) -> list[dt.date]:
    zone = contract_zone(contract)
    return sorted(
        local_day(moment, zone)
        for _message, moment in renewal_notice_deliveries(
            contract=contract, proofs=rules.delivered_notice_channels
        )
    )


def notice_hold(contract: Contract, rules: Rules) -> HoldReason:
    """Why the renewal waits for want of a notice (``hold_reason_text`` words it)."""
    window = term_notice_window(contract, rules)
    proofs = _proofs_text(rules)
    if window is None:
        return _reason(NOTICE_NONE, proofs=proofs)
    sources = ", ".join(window.sources)
    if window.is_empty:
        return _reason(NOTICE_NO_DAY, sources=sources)
    earliest = window.earliest.isoformat() if window.earliest else "-"
    latest = window.latest.isoformat()
    days = _delivered_days(contract, rules)
    if days:
        # A notice did reach the customer, only not on a day of the window: the nearest
        # to it says whether it came too early or too late.
        late = [d for d in days if d > window.latest]
        day = late[0] if late else days[-1]
        return _reason(
            NOTICE_OUTSIDE_WINDOW,
            delivered=day.isoformat(),
            earliest=earliest,
            latest=latest,
            sources=sources,
            proofs=proofs,
        )
    return _reason(
        NOTICE_NOT_IN_WINDOW, earliest=earliest, latest=latest, sources=sources, proofs=proofs
    )


def hold_reason_text(reason: HoldReason) -> str:
    """One hold reason in the active language."""
    code = str(reason.get("code", ""))
    p = {k: str(v) for k, v in (reason.get("params") or {}).items()}
    if code == NOTICE_NONE:
        return _("No renewal notice reached the customer (counted: %(proofs)s).") % p
    if code == NOTICE_NO_DAY:
        return _("The rules %(sources)s leave no day on which the notice could be sent.") % p
    if code == NOTICE_NOT_IN_WINDOW:
        return (
            _(
                "No renewal notice reached the customer between %(earliest)s and %(latest)s "
                "(%(sources)s; counted: %(proofs)s)."
            )
            % p
        )
    if code == NOTICE_OUTSIDE_WINDOW:
        return (
            _(
                "The renewal notice reached the customer on %(delivered)s, outside the "
                "window from %(earliest)s to %(latest)s (%(sources)s; counted: %(proofs)s)."
            )
            % p
        )
    if code == PRICE_RISE:
        if p.get("latest"):
            return (
                _(
                    "The price rises from %(old)s to %(new)s a month (more than "
                    "%(threshold)s%%): no price-change notice reached the customer between "
                    "%(earliest)s and %(latest)s and no consent was given since %(since)s."
                )
                % p
            )
        return (
            _(
                "The price rises from %(old)s to %(new)s a month (more than %(threshold)s%%): "
                "no price-change notice reached the customer and no consent was given since "
                "%(since)s."
            )
            % p
        )
    return p.get("text", code)


def hold_reasons_text(reasons: list[HoldReason]) -> str:
    """The reasons of a hold in the active language, one sentence after another."""
    return " ".join(hold_reason_text(r) for r in reasons)


def notice_hold_reason(contract: Contract, rules: Rules) -> str:
    """``notice_hold`` in words, in the active language."""
    return hold_reason_text(notice_hold(contract, rules))


def monthly(total: Decimal, start: dt.date, end: dt.date) -> Decimal:
    """A term's price per month (a term shorter than a month counts as one)."""
    return total / max(term_months(start, end), 1)


def _consent_since(contract: Contract, day: dt.date, zone: ZoneInfo) -> bool:
    """An explicit auto-renewal consent (switched on) given on or after ``day``."""
    for at in AutoRenewConsent.objects.filter(
        contract=contract, kind=ConsentKind.AUTO_RENEW, enabled=True
    ).values_list("at", flat=True):
        if local_day(at, zone) >= day:
            return True
    return False


def price_change_hold(
    contract: Contract,
    rules: Rules,
    *,
    old_monthly: Decimal,
    new_monthly: Decimal,
    change_date: dt.date,
) -> HoldReason | None:
    """Why the renewal waits for a price rise (None when it need not): a rise above the
    rules' threshold needs a renewal notice (it states the next term's fee) delivered
    inside the price-change window, or an explicit consent to the automatic renewal given
    since the window opened (the term's start when it has no earliest day)."""
    if not price_change_needs_notice(rules, old=old_monthly, new=new_monthly):
        return None
    window = price_change_window(rules, change_date)
    zone = contract_zone(contract)
    if window is not None and not window.is_empty:
        if renewal_notice_delivered(
            contract=contract, proofs=rules.delivered_notice_channels, window=window, zone=zone
        ):
            return None
    elif window is None and renewal_notice_delivered(
        contract=contract, proofs=rules.delivered_notice_channels
    ):
        return None
    since = (window.earliest if window is not None else None) or contract.start_date
    if _consent_since(contract, since, zone):
        return None
    between = (
        {
            "earliest": window.earliest.isoformat() if window.earliest else "-",
            "latest": window.latest.isoformat(),
        }
        if window is not None
        else {}
    )
    return _reason(
        PRICE_RISE,
        old=f"{old_monthly:.2f}",
        new=f"{new_monthly:.2f}",
        threshold=str(rules.price_change_threshold_percent),
        since=since.isoformat(),
        **between,
    )


def price_change_hold_reason(
    contract: Contract,
    rules: Rules,
    *,
    old_monthly: Decimal,
    new_monthly: Decimal,
    change_date: dt.date,
) -> str:
    """``price_change_hold`` in words (the empty string when the renewal need not wait)."""
    reason = price_change_hold(
        contract, rules, old_monthly=old_monthly, new_monthly=new_monthly, change_date=change_date
    )
    return hold_reason_text(reason) if reason is not None else ""


def open_ended_months(rules: Rules) -> int | None:
    """The notice period (months) of the open-ended contract the renewal must become, or
    None when the rules allow an ordinary fixed term."""
    if not rules.renew_into_open_ended:
        return None
    return rules.open_ended_notice_months or 1

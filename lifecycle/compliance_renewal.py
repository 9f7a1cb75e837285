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
from notifications.selectors import renewal_notice_delivered


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


def notice_hold_reason(contract: Contract, rules: Rules) -> str:
    """Why the renewal waits for want of a notice, in words staff can act on."""
    window = term_notice_window(contract, rules)
    if window is None:
        return _("No renewal notice reached the customer (counted: %(proofs)s).") % {
            "proofs": _proofs_text(rules)
        }
    if window.is_empty:
        return _("The rules %(sources)s leave no day on which the notice could be sent.") % {
            "sources": ", ".join(window.sources)
        }
    return _(
        "No renewal notice reached the customer between %(earliest)s and %(latest)s "
        "(%(sources)s; counted: %(proofs)s)."
    ) % {
        "earliest": window.earliest.isoformat() if window.earliest else "-",
        "latest": window.latest.isoformat(),
        "sources": ", ".join(window.sources),
        "proofs": _proofs_text(rules),
    }


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


def price_change_hold_reason(
    contract: Contract,
    rules: Rules,
    *,
    old_monthly: Decimal,
    new_monthly: Decimal,
    change_date: dt.date,
) -> str:
    """Why the renewal waits for a price rise (the empty string when it need not): a rise
    above the rules' threshold needs a renewal notice (it states the next term's fee)
    delivered inside the price-change window, or an explicit consent to the automatic
    renewal given since the window opened (the term's start when it has no earliest day)."""
    if not price_change_needs_notice(rules, old=old_monthly, new=new_monthly):
        return ""
    window = price_change_window(rules, change_date)
    zone = contract_zone(contract)
    if window is not None and not window.is_empty:
        if renewal_notice_delivered(
            contract=contract, proofs=rules.delivered_notice_channels, window=window, zone=zone
        ):
            return ""
    elif window is None and renewal_notice_delivered(
        contract=contract, proofs=rules.delivered_notice_channels
    ):
        return ""
    since = (window.earliest if window is not None else None) or contract.start_date
    if _consent_since(contract, since, zone):
        return ""
    return _(
        "The price rises from %(old)s to %(new)s a month (more than %(threshold)s%%): no "
        "price-change notice reached the customer%(between)s and no consent was given since "
        "%(since)s."
    ) % {
        "old": f"{old_monthly:.2f}",
        "new": f"{new_monthly:.2f}",
        "threshold": rules.price_change_threshold_percent,
        "between": (
            _(" between %(earliest)s and %(latest)s")
            % {
                "earliest": window.earliest.isoformat() if window.earliest else "-",
                "latest": window.latest.isoformat(),
            }
            if window is not None
            else ""
        ),
        "since": since.isoformat(),
    }


def open_ended_months(rules: Rules) -> int | None:
    """The notice period (months) of the open-ended contract the renewal must become, or
    None when the rules allow an ordinary fixed term."""
    if not rules.renew_into_open_ended:
        return None
    return rules.open_ended_notice_months or 1

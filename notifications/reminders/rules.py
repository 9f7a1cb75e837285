"""Which offsets apply to a contract, and which one is due on a day."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings

from compliance.calendar import term_last_day
from compliance.models import Jurisdiction
from compliance.rules import notice_window, ruleset_label
from compliance.selectors import rulesets_in_force

from ..models import Channel, ReminderRule

logger = logging.getLogger("notifications.reminders")


ESCALATION_DAYS = 7


def _default_offsets() -> list[int]:
    return sorted(set(settings.RENEWDESK.get("REMINDER_OFFSETS", [30, 15, 7])), reverse=True)


class RuleBook:
    """Offsets per (plan, tier), most specific first.

    The reminder rules are a selling choice; the law is not in them. The automatic-renewal
    notice a contract's own rules require (compliance: per customer country/region, and
    per contract as signed) is added by statutory.py when none of these offsets falls in
    its window, so the offsets no longer depend on auto-renewal. ``auto_renew`` stays in
    the signature because the schedule's rule table (schedule_state.rules_table) is keyed
    by it.
    """

    def __init__(self) -> None:
        self.rules: dict[tuple[int | None, str], list[int]] = {}
        for rule in ReminderRule.objects.filter(is_active=True):
            try:
                offsets = rule.offset_list
            except ValueError:
                logger.error("reminder rule %s has bad offsets %r: ignored", rule.pk, rule.offsets)
                continue
            self.rules[(rule.plan_id, rule.tier)] = offsets

    def offsets_for(self, *, plan_id: int | None, tier: str, auto_renew: bool) -> list[int]:
        offsets = (
            self.rules.get((plan_id, tier))
            or self.rules.get((plan_id, ""))
            or self.rules.get((None, tier))
            or self.rules.get((None, ""))
            or _default_offsets()
        )
        return sorted(set(offsets), reverse=True)

    def max_offset(self) -> int:
        return max([max(_default_offsets()), *(max(o) for o in self.rules.values())])


def offsets_missing_notice_windows(offsets: list[int], *, on: dt.date) -> list[str]:
    """The rule sets in force on ``on`` ("FR v1", "US-CA v2") whose automatic-renewal
    notice window none of ``offsets`` falls in, for a one-year term starting that day with
    no notice period (a contract's notice period moves a window counted from the deadline
    to refuse, France's, earlier still).

    For the admin's warning only: nothing is refused, since the statutory sweep adds the
    notice those customers need (statutory.py); the warning says the offsets alone do not
    cover them."""
    term_end = term_last_day(on, 12)
    missed = []
    for ruleset in rulesets_in_force(list(Jurisdiction.objects.all()), on=on):
        window = notice_window(ruleset, on, term_end)
        if window is None:
            continue
        if not any(window.contains(term_end - dt.timedelta(days=o)) for o in offsets):
            missed.append(ruleset_label(ruleset))
    return sorted(missed)


# Each rule below has its Python version (the SQLite path of `make run`, previews) and its
# SQL rendering (the set-based sweep on PostgreSQL) side by side; tests/notifications/
# test_reminder_rules_sql.py runs both over the same cases.


def due_offset(days_left: int, offsets: list[int]) -> int | None:
    """The smallest offset ≥ days_left, or None (too early, or ended)."""
    if days_left < 1:
        return None
    eligible = [o for o in offsets if o >= days_left]
    return min(eligible) if eligible else None


# due_offset in SQL ({offsets}: an int[] expression, {days_left}: an int expression).
DUE_OFFSET_SQL = (
    "(SELECT min(x) FROM unnest({offsets}) x WHERE x >= ({days_left}) AND ({days_left}) >= 1)"
)


def reminder_dedupe_key(
    *, contract_id: int, term_end: dt.date, offset: int, channel: str, customer_id: int
) -> str:
    return f"renewal_reminder:{contract_id}:{term_end.isoformat()}:{offset}:{channel}:{customer_id}"


REMINDER_DEDUPE_KEY_SQL = (
    "'renewal_reminder:' || {contract_id} || ':' || to_char({term_end}, 'YYYY-MM-DD')"
    " || ':' || {offset} || ':' || {channel} || ':' || {customer_id}"
)


def channels_for(
    *, notify_email: bool, notify_sms: bool, notify_in_app: bool, email: str, phone: str
) -> list[tuple[str, str]]:
    """(channel, address) pairs the customer chose and can be reached on.

    A renewal notice is legally required, so a customer who switched every channel off
    (or has no address) still gets it in the portal inbox.
    """
    out = []
    if notify_email and email:
        out.append((Channel.EMAIL.value, email))
    if notify_sms and phone:
        out.append((Channel.SMS.value, phone))
    if notify_in_app or not out:
        out.append((Channel.IN_APP.value, ""))
    return out


# channels_for in SQL: rows ch(channel, address, wanted) from the columns d.notify_email,
# d.notify_sms, d.notify_in_app, em.email and ph.phone (NULL: no address); parameters
# %(email)s, %(sms)s, %(in_app)s are the Channel values.
CHANNELS_SQL = """(
        SELECT d.notify_email AND em.email IS NOT NULL AS email_ok,
            d.notify_sms AND ph.phone IS NOT NULL AS sms_ok
    ) r
    CROSS JOIN LATERAL (
        VALUES (%(email)s::text, em.email, r.email_ok),
            (%(sms)s::text, ph.phone, r.sms_ok),
            (%(in_app)s::text, '', d.notify_in_app OR NOT (r.email_ok OR r.sms_ok))
    ) ch(channel, address, wanted)"""

# A placeholder of a staff task title, replaced by its value (in SQL or in Python).
TITLE_MARK = "\x1f{}\x1f"

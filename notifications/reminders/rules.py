"""Which offsets apply to a contract, and which one is due on a day."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings

from ..models import (
    Channel,
    JurisdictionRule,
    ReminderRule,
)

logger = logging.getLogger("notifications.reminders")


ESCALATION_DAYS = 7


def _default_offsets() -> list[int]:
    return sorted(set(settings.RENEWDESK.get("REMINDER_OFFSETS", [30, 15, 7])), reverse=True)


class RuleBook:
    """Offsets per (plan, tier), most specific first, checked against the jurisdiction."""

    def __init__(self) -> None:
        self.default_jurisdiction = JurisdictionRule.objects.filter(is_default=True).first()
        self.rules: dict[tuple[int | None, str], tuple[list[int], JurisdictionRule | None]] = {}
        for rule in ReminderRule.objects.filter(is_active=True).select_related("jurisdiction"):
            try:
                offsets = rule.offset_list
            except ValueError:
                logger.error("reminder rule %s has bad offsets %r: ignored", rule.pk, rule.offsets)
                continue
            self.rules[(rule.plan_id, rule.tier)] = (offsets, rule.jurisdiction)
        self._cache: dict[tuple[int | None, str, bool], list[int]] = {}

    def offsets_for(self, *, plan_id: int | None, tier: str, auto_renew: bool) -> list[int]:
        key = (plan_id, tier, auto_renew)
        if key not in self._cache:
            offsets, jurisdiction = (
                self.rules.get((plan_id, tier))
                or self.rules.get((plan_id, ""))
                or self.rules.get((None, tier))
                or self.rules.get((None, ""))
                or (_default_offsets(), None)
            )
            jurisdiction = jurisdiction or self.default_jurisdiction
            offsets = list(offsets)
            # The auto-renewal notice must land in the jurisdiction's window: if no
            # configured offset does, add the latest day the law allows.
            if auto_renew and jurisdiction and not jurisdiction.notice_window_fits(offsets):
                extra = jurisdiction.required_offset()
                if extra:
                    offsets.append(extra)
            self._cache[key] = sorted(set(offsets), reverse=True)
        return self._cache[key]

    def max_offset(self) -> int:
        candidates = [max(_default_offsets())]
        candidates += [max(o) for o, _j in self.rules.values()]
        for j in JurisdictionRule.objects.all():
            if j.required_offset():
                candidates.append(j.required_offset() or 0)
        return max(candidates)


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

"""Which offsets apply to a contract, and which one is due on a day."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings

from ..models import (
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


def due_offset(days_left: int, offsets: list[int]) -> int | None:
    """The smallest offset ≥ days_left, or None (too early, or ended)."""
    if days_left < 1:
        return None
    eligible = [o for o in offsets if o >= days_left]
    return min(eligible) if eligible else None


def reminder_dedupe_key(
    *, contract_id: int, term_end: dt.date, offset: int, channel: str, customer_id: int
) -> str:
    return f"renewal_reminder:{contract_id}:{term_end.isoformat()}:{offset}:{channel}:{customer_id}"

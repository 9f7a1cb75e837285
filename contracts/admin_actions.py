"""The status changes the contract admin offers as actions on the selected contracts: each
calls its transition service per contract and reports what was done and what was refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

from .models import Contract
from .services import (
    contract_activate,
    contract_expire,
    contract_return_to_draft,
    contract_send_for_signature,
    contract_void,
)


def _transition_action(
    name: str,
    description: Any,
    call: Callable[[Contract, Any], Any],
    done_message: Any,
    guard: Callable[[Contract], str | None] | None = None,
):
    def action(modeladmin, request, queryset):
        done = 0
        for contract in queryset.order_by("number"):
            problem = guard(contract) if guard else None
            if problem:
                modeladmin.message_user(
                    request, f"{contract.number}: {problem}", level=messages.WARNING
                )
                continue
            try:
                call(contract, request.user)
                done += 1
            except DomainError as exc:
                modeladmin.message_user(
                    request, f"{contract.number}: {exc.message}", level=messages.WARNING
                )
        modeladmin.message_user(request, str(done_message % {"n": done}))

    action.__name__ = name
    return admin.action(description=description)(action)


def _not_ended_yet(contract: Contract) -> str | None:
    # Ending a term early is a cancellation (with its fee and refund), not an expiry.
    if contract.end_date >= timezone.localdate():
        return gettext("Its term has not ended yet; use a cancellation to end it early.")
    return None


def _not_started_yet(contract: Contract) -> str | None:
    if contract.start_date > timezone.localdate():
        return gettext("Its term starts on %(date)s.") % {"date": contract.start_date}
    return None


def _admin_reason(user: Any) -> str:
    return gettext("In the admin by %(user)s") % {"user": user.get_username()}


CONTRACT_STATUS_ACTIONS = [
    _transition_action(
        "send_for_signature",
        _("Send for signature"),
        lambda c, user: contract_send_for_signature(contract=c, by=user),
        ngettext_lazy(
            "%(n)d contract sent for signature.",
            "%(n)d contracts sent for signature.",
            "n",
        ),
    ),
    _transition_action(
        "return_to_draft",
        _("Return to draft"),
        lambda c, user: contract_return_to_draft(contract=c, by=user, reason=_admin_reason(user)),
        ngettext_lazy(
            "%(n)d contract returned to draft.",
            "%(n)d contracts returned to draft.",
            "n",
        ),
    ),
    _transition_action(
        "activate",
        _("Activate (scheduled or paid contracts whose term has started)"),
        lambda c, user: contract_activate(contract=c, by=user, reason=_admin_reason(user)),
        ngettext_lazy(
            "%(n)d contract activated.",
            "%(n)d contracts activated.",
            "n",
        ),
        guard=_not_started_yet,
    ),
    _transition_action(
        "expire",
        _("Expire (active contracts whose term has ended)"),
        lambda c, user: contract_expire(contract=c, by=user, reason=_admin_reason(user)),
        ngettext_lazy(
            "%(n)d contract expired.",
            "%(n)d contracts expired.",
            "n",
        ),
        guard=_not_ended_yet,
    ),
    _transition_action(
        "void",
        _("Void (abandon before it becomes active)"),
        lambda c, user: contract_void(contract=c, by=user, reason=_admin_reason(user)),
        ngettext_lazy(
            "%(n)d contract voided.",
            "%(n)d contracts voided.",
            "n",
        ),
    ),
]

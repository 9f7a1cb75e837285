"""Auto-renewal on or off, with the customer's consent recorded exactly as it was given
(the consent row, the contract's flag and its ``auto_renew_on``/``auto_renew_off`` event)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import InvalidTransition
from core.events import actor_or_none

from .contract_states import contract_event_new
from .models import (
    AutoRenewConsent,
    ConsentChannel,
    ConsentKind,
    Contract,
    ContractEvent,
    ContractStatus,
)

S = ContractStatus


def consent_new(
    *,
    contract: Contract,
    enabled: bool,
    by: Any,
    channel: str,
    text: str,
    text_version: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> AutoRenewConsent:
    """The consent row exactly as it was given (not saved)."""
    if channel not in ConsentChannel.values:
        raise ValueError(f"unknown consent channel {channel}")
    return AutoRenewConsent(
        contract=contract,
        customer_id=contract.customer_id,
        enabled=enabled,
        text=text,
        text_version=text_version,
        channel=channel,
        actor=actor_or_none(by),
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:500],
    )


def auto_renew_event_new(
    *, contract: Contract, consent: AutoRenewConsent, previous: bool, by: Any = None
) -> ContractEvent:
    """The event ``contract_set_auto_renew`` writes with a saved consent (not saved)."""
    return contract_event_new(
        contract=contract,
        kind="auto_renew_on" if consent.enabled else "auto_renew_off",
        by=by,
        payload={"previous": previous, "channel": consent.channel, "consent_id": consent.pk},
    )


@transaction.atomic
def contract_set_auto_renew(
    *,
    contract: Contract,
    enabled: bool,
    by: Any,
    channel: str,
    text: str,
    text_version: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> AutoRenewConsent:
    """Switch auto-renew on or off and record the consent exactly as it was given."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.is_ended or locked.status == S.VOID:
        raise InvalidTransition(_("Auto-renewal cannot be changed on a contract that has ended."))
    consent = consent_new(
        contract=locked,
        enabled=enabled,
        by=by,
        channel=channel,
        text=text,
        text_version=text_version,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    consent.save()
    previous = locked.auto_renew
    locked.auto_renew = enabled
    locked.save(update_fields=["auto_renew", "updated_at"])
    auto_renew_event_new(contract=locked, consent=consent, previous=previous, by=by).save()
    contract.auto_renew = enabled
    return consent


def payment_method_consent_record(
    *,
    contract: Contract,
    enabled: bool,
    by: Any,
    channel: str,
    text: str,
    text_version: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> AutoRenewConsent:
    """Record the customer's consent to charge a saved payment method for the renewals of
    ``contract`` (``enabled``) or its withdrawal, exactly as shown, in the same ledger as
    the auto-renewal switch (``kind`` payment_method), with a contract event. The
    auto-renewal flag itself is not touched."""
    consent = consent_new(
        contract=contract,
        enabled=enabled,
        by=by,
        channel=channel,
        text=text,
        text_version=text_version,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    consent.kind = ConsentKind.PAYMENT_METHOD
    consent.save()
    contract_event_new(
        contract=contract,
        kind="payment_consent_given" if enabled else "payment_consent_withdrawn",
        by=by,
        payload={"channel": channel, "consent_id": consent.pk},
    ).save()
    return consent

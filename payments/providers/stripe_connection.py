"""The connection to Stripe of one ``StripeProvider``: its settings, its own
``StripeClient`` (nothing is set on the ``stripe`` module, so tests and several
configurations never share state), and errors turned into safe-to-log ``ProviderError``s.

Settings (``settings.PAYMENT_PROVIDERS["card"]``, environment prefix ``STRIPE_``):
``SECRET_KEY`` and ``WEBHOOK_SECRET`` (required), ``API_BASE``, ``WEBHOOK_TOLERANCE``,
``MAX_NETWORK_RETRIES`` and ``TIMEOUT`` (optional); docs/configuration.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import stripe
from django.conf import settings

from .base import ProviderError

REFERENCE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SECRET_RE = re.compile(r"\b(sk|rk|pk)_(live|test)_[A-Za-z0-9*]+|\bwhsec_[A-Za-z0-9*]+")
DEFAULT_TOLERANCE = 300


def checkout_locale(language: str) -> str:
    if language.lower().startswith("zh"):
        return "zh"
    if language.lower().startswith("en"):
        return "en"
    return "auto"


def from_timestamp(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None


def checked_reference(reference: str) -> str:
    # References go into Stripe search queries: only the characters the protocol allows.
    if not REFERENCE_RE.match(reference):
        raise ProviderError("Stripe: reference must be 1-32 of [A-Za-z0-9_-]", code="invalid")
    return reference


def idempotency_key(prefix: str, params: Mapping[str, Any]) -> str:
    """Same request, same key: a retried create returns the first session instead of a
    second one; changed parameters (another language) make a new one."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return f"renewdesk-{prefix}-{digest}"


def provider_error(action: str, err: stripe.StripeError) -> ProviderError:
    """A safe-to-log ProviderError: Stripe's class, code, status and request id, and its
    message with anything shaped like a key masked."""
    status = err.http_status or 0
    transient = isinstance(err, stripe.APIConnectionError | stripe.RateLimitError) or (
        isinstance(err, stripe.APIError) or status >= 500 or status == 409
    )
    code = err.code or ("connection" if isinstance(err, stripe.APIConnectionError) else "")
    message = SECRET_RE.sub("[redacted]", err.user_message or "")
    request = f" request {err.request_id}" if err.request_id else ""
    return ProviderError(
        f"Stripe {action}: {type(err).__name__} {code or '-'} HTTP {status or '-'}{request}: "
        f"{message}",
        transient=transient,
        code=code or type(err).__name__,
    )


@contextmanager
def stripe_errors(action: str) -> Iterator[None]:
    try:
        yield
    except stripe.StripeError as err:
        # from None: the SDK error carries the raw response, which we do not pass on.
        raise provider_error(action, err) from None


class StripeConnection:
    """The settings and the ``StripeClient`` of one StripeProvider, and the lookups its
    payment and saved-card halves share."""

    def __init__(self, config: Mapping[str, str] | None = None) -> None:
        if config is None:
            config = settings.PAYMENT_PROVIDERS.get("card", {})
        self._config = {key: str(value) for key, value in config.items()}
        self._client_instance: stripe.StripeClient | None = None

    def __repr__(self) -> str:
        return f"<StripeProvider configured={self.is_configured()}>"

    # Settings ------------------------------------------------------------------------

    def _setting(self, name: str, default: str = "") -> str:
        return self._config.get(name, "").strip() or default

    def _webhook_secrets(self) -> list[str]:
        # Comma-separated while a rolled secret and its successor are both valid.
        return [s.strip() for s in self._setting("WEBHOOK_SECRET").split(",") if s.strip()]

    def _tolerance(self) -> int:
        try:
            return max(1, int(self._setting("WEBHOOK_TOLERANCE", str(DEFAULT_TOLERANCE))))
        except ValueError:
            return DEFAULT_TOLERANCE

    def is_configured(self) -> bool:
        secrets = self._webhook_secrets()
        return (
            self._setting("SECRET_KEY").startswith(("sk_", "rk_"))
            and bool(secrets)
            and all(secret.startswith("whsec_") for secret in secrets)
        )

    @property
    def _client(self) -> stripe.StripeClient:
        if self._client_instance is None:
            if not self.is_configured():
                raise ProviderError("Stripe is not configured", code="not_configured")
            try:
                retries = int(self._setting("MAX_NETWORK_RETRIES", "2"))
                timeout = float(self._setting("TIMEOUT", "30"))
            except ValueError:
                raise ProviderError(
                    "Stripe: MAX_NETWORK_RETRIES and TIMEOUT must be numbers",
                    code="not_configured",
                ) from None
            base = self._setting("API_BASE")
            self._client_instance = stripe.StripeClient(
                self._setting("SECRET_KEY"),
                base_addresses={"api": base.rstrip("/")} if base else None,
                max_network_retries=retries,
                http_client=stripe.RequestsClient(timeout=timeout),
            )
        return self._client_instance

    # Lookups -------------------------------------------------------------------------

    def _setup_intent(self, setup_intent_id: str) -> dict[str, Any]:
        with stripe_errors("setup intent"):
            intent = self._client.v1.setup_intents.retrieve(
                setup_intent_id, {"expand": ["payment_method"]}
            )
        return intent.to_dict()

    def _intents_for(self, reference: str) -> list[dict[str, Any]]:
        query = f"metadata['reference']:'{checked_reference(reference)}'"
        with stripe_errors("payment search"):
            found = self._client.v1.payment_intents.search({"query": query, "limit": 20})
        return [intent.to_dict() for intent in found.data]

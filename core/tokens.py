"""Signed, expiring, purpose-scoped tokens for links in messages (renew, change, cancel,
magic login, survey...).

A token binds one object id to one purpose: it is signed with ``SECRET_KEY`` and a salt
per purpose, so a "renew" token can never be replayed as a "cancel" token, and it
carries its own maximum age so the reader does not have to know it.

Links built from these tokens must open a confirmation page: GET never changes
anything (mail scanners follow links); the action happens on POST.

    token = token_make(purpose="renew", obj_id=contract.pk, max_age=30 * 86400)
    contract_id = token_read(token=token, purpose="renew")   # TokenInvalid / TokenExpired
"""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

SALT_PREFIX = "renewdesk.token."


class TokenInvalid(DomainError):
    """Tampered with, truncated, or made for another purpose."""

    code = "token_invalid"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(str(message or _("This link is not valid. Ask for a new one.")))


class TokenExpired(TokenInvalid):
    code = "token_expired"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(str(message or _("This link has expired. Ask for a new one.")))


def _signer(purpose: str) -> signing.TimestampSigner:
    if not purpose or ":" in purpose:
        raise ValueError(f"bad token purpose {purpose!r}")
    return signing.TimestampSigner(salt=SALT_PREFIX + purpose)


def token_make(*, purpose: str, obj_id: int | str, max_age: int) -> str:
    """A URL-safe token for ``obj_id`` valid ``max_age`` seconds for ``purpose`` only."""
    if max_age <= 0:
        raise ValueError("max_age must be positive")
    return _signer(purpose).sign_object({"id": obj_id, "m": int(max_age)}, compress=True)


def token_read(*, token: str, purpose: str) -> int | str:
    """The object id in a valid token. Raises TokenInvalid or TokenExpired."""
    signer = _signer(purpose)
    try:
        # First check the signature only, to learn the max age the token was made with
        # (it is inside the signed payload, so it cannot be stretched by the holder).
        payload = signer.unsign_object(token)
        max_age = int(payload["m"])
        signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise TokenExpired() from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid() from exc
    return payload["id"]

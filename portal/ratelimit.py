"""Rate limits for the portal's login endpoints, kept in Django's cache.

Fixed windows per scope ("link" = magic-link requests, "login" = failed logins), counted
per client IP and per e-mail address: an attacker rotating addresses is stopped by the IP
counter, one rotating IPs against one address by the address counter. Counters live in
the cache (Redis in production, shared by every web process); losing them on a Redis
restart only resets the windows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

DEFAULT_LIMITS = {
    # 5 link e-mails per address and 20 per IP per 15 minutes.
    "link": {"per_address": 5, "per_ip": 20, "window": 15 * 60},
    # 5 failed logins per address and 20 per IP per 15 minutes.
    "login": {"per_address": 5, "per_ip": 20, "window": 15 * 60},
}


@dataclass(frozen=True)
class Limit:
    per_address: int
    per_ip: int
    window: int


def limit_for(scope: str) -> Limit:
    configured = settings.RENEWDESK.get("PORTAL_RATE_LIMITS", {}).get(scope, {})
    merged = {**DEFAULT_LIMITS[scope], **configured}
    return Limit(**merged)


def client_ip(request: HttpRequest) -> str:
    # The same client address as the staff login throttle (django-axes, AXES_IPWARE_*):
    # REMOTE_ADDR locally, where X-Forwarded-For could be forged; in production the entry
    # our reverse proxy appended, else every customer would share the proxy's address
    # and its per-IP counter (docs/security.md).
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def _key(scope: str, kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"portal:rl:{scope}:{kind}:{digest}"


def _keys(scope: str, ip: str, email: str) -> list[tuple[str, int]]:
    limit = limit_for(scope)
    keys = [(_key(scope, "ip", ip), limit.per_ip)]
    if email:
        keys.append((_key(scope, "addr", email), limit.per_address))
    return keys


def rate_limited(*, scope: str, ip: str, email: str = "") -> bool:
    """True when the IP or the address has used up its attempts in this window."""
    for key, allowed in _keys(scope, ip, email):
        if (cache.get(key) or 0) >= allowed:
            return True
    return False


def rate_hit(*, scope: str, ip: str, email: str = "") -> None:
    """Count one attempt against the IP and the address."""
    window = limit_for(scope).window
    for key, _allowed in _keys(scope, ip, email):
        # add() starts the window only if the key is new; incr() is atomic in Redis.
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window)


def rate_reset(*, scope: str, email: str) -> None:
    """Forget the failures of an address after a successful login."""
    cache.delete(_key(scope, "addr", email))

"""Login brute-force protection: after repeated failures for one account identifier or
from one IP, further attempts are refused for a cool-down.

Counters are keyed by the identifier as typed (normalised), not by the user, so a locked
identifier behaves the same whether or not an account exists behind it. They live in the
default cache (Redis when configured, shared by every web process)."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from config.errors import TooManyRequests


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-lockout:{kind}:{digest}"


def _scopes(identifier: str, ip: str) -> list[tuple[str, int]]:
    return [
        (_key("account", identifier), settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES),
        (_key("ip", ip), settings.LOGIN_LOCKOUT_IP_FAILURES),
    ]


def check(*, identifier: str, ip: str) -> None:
    """Raise TooManyRequests while the identifier or the IP is cooling down."""
    now = time.time()
    for key, _ in _scopes(identifier, ip):
        locked_until = cache.get(f"{key}:locked")
        if locked_until and locked_until > now:
            raise TooManyRequests(
                "Too many failed login attempts; try again later.",
                code="too_many_login_attempts",
                retry_after=max(1, int(locked_until - now)),
            )


def record_failure(*, identifier: str, ip: str) -> None:
    cooldown = settings.LOGIN_LOCKOUT_COOLDOWN_SECONDS
    for key, limit in _scopes(identifier, ip):
        cache.add(f"{key}:failures", 0, cooldown)
        try:
            failures = cache.incr(f"{key}:failures")
        except ValueError:  # expired between add and incr
            cache.set(f"{key}:failures", 1, cooldown)
            failures = 1
        if failures >= limit:
            cache.set(f"{key}:locked", time.time() + cooldown, cooldown)
            cache.delete(f"{key}:failures")


def record_success(*, identifier: str) -> None:
    cache.delete(f"{_key('account', identifier)}:failures")

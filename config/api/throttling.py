"""A token bucket per user (per IP when anonymous), atomic across processes.

With Redis configured the bucket lives in Redis and one Lua script reads, refills and takes
a token, so concurrent requests from many web processes can never overspend it. Without
Redis, or when Redis fails, a process-local bucket takes over and a warning is logged; after
a failure Redis is left alone for `REDIS_RETRY_SECONDS`, so that a Redis that hangs costs
one socket timeout, not one per request."""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)

_LUA_TAKE = """
local capacity = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or capacity
local ts = tonumber(data[2]) or now
local rate = capacity / window
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
local retry = 0
if allowed == 0 then retry = (1 - tokens) / rate end
return {allowed, tostring(tokens), tostring((capacity - tokens) / rate), tostring(retry)}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


def _decision(allowed: bool, capacity: int, tokens: float, reset: float, retry: float) -> Decision:
    return Decision(
        allowed=allowed,
        limit=capacity,
        remaining=max(0, math.floor(tokens)),
        reset_seconds=math.ceil(reset),
        retry_after=math.ceil(retry) if not allowed else 0,
    )


class LocalBuckets:
    """Process-local token buckets, for the embedded default and as Redis's fallback."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, capacity: int, window: float) -> Decision:
        rate = capacity / window
        with self._lock:
            now = time.monotonic()
            tokens, stamp = self._buckets.get(key, (float(capacity), now))
            tokens = min(capacity, tokens + max(0.0, now - stamp) * rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
        retry = 0.0 if allowed else (1 - tokens) / rate
        return _decision(allowed, capacity, tokens, (capacity - tokens) / rate, retry)

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


class RedisBuckets:
    def __init__(self) -> None:
        from django_redis import get_redis_connection

        self._client = get_redis_connection("default")
        self._script = self._client.register_script(_LUA_TAKE)
        self._prefix = settings.CACHES["default"].get("KEY_PREFIX", "")

    def take(self, key: str, capacity: int, window: float) -> Decision:
        allowed, tokens, reset, retry = self._script(
            keys=[f"{self._prefix}:rl:{key}"], args=[capacity, window]
        )
        return _decision(bool(allowed), capacity, float(tokens), float(reset), float(retry))


REDIS_RETRY_SECONDS = 5.0

local_buckets = LocalBuckets()
_redis_buckets: RedisBuckets | None = None
_redis_retry_at = 0.0
_last_warning = 0.0


def take_token(key: str, capacity: int, window: float) -> Decision:
    """Take one token from bucket `key`; Redis when configured, else (or on failure) local."""
    global _redis_buckets, _redis_retry_at, _last_warning
    redis_configured = settings.REDIS_URL and "Redis" in settings.CACHES["default"]["BACKEND"]
    if redis_configured and time.monotonic() >= _redis_retry_at:
        try:
            if _redis_buckets is None:
                _redis_buckets = RedisBuckets()
            return _redis_buckets.take(key, capacity, window)
        except Exception as exc:  # redis-py raises its own hierarchy; any failure falls back
            now = time.monotonic()
            _redis_retry_at = now + REDIS_RETRY_SECONDS
            if now - _last_warning > 10:
                _last_warning = now
                logger.warning("rate limiter falling back to process memory: %s", exc)
    return local_buckets.take(key, capacity, window)


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind `TRUSTED_PROXY_COUNT` proxies, the address the nearest
    trusted proxy saw (counted from the right of X-Forwarded-For, which clients can forge on
    the left); otherwise REMOTE_ADDR."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-proxies] if len(hops) >= proxies else hops[0]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def limit_for_scope(scope: str) -> tuple[int, int]:
    if scope == "auth":
        return settings.RATE_LIMIT_AUTH_REQUESTS, settings.RATE_LIMIT_WINDOW
    return settings.RATE_LIMIT_REQUESTS, settings.RATE_LIMIT_WINDOW


def take_for_request(request: HttpRequest, scope: str, user_id: Any | None) -> Decision:
    capacity, window = limit_for_scope(scope)
    ident = f"user:{user_id}" if user_id is not None else f"ip:{client_ip(request)}"
    return take_token(f"{scope}:{ident}", capacity, window)

"""`cached(ttl, key_prefix)`: memoise a function in Django's cache (Redis when configured,
memory otherwise), with invalidation of one call or of everything under the prefix.

An entry is `(version, value)`. Invalidating the whole prefix bumps a version number kept
in the cache, so it works on every backend without key scans; a hit reads the entry and the
version in one round trip (`get_many`) and counts only when the entry's version is the
current one. A cache failure never fails the call: the function runs."""

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

from django.core.cache import cache, caches
from django_redis.cache import RedisCache

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def shared_cache_available() -> bool:
    """Whether the default cache is one every process shares (Redis) and Redis is answering
    right now (not the process-memory fallback of `FallbackRedisCache`)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return False
    return bool(getattr(backend, "redis_available", True))


class CachedFunction(Generic[P, R]):
    def __init__(self, func: Callable[P, R], ttl: int, key_prefix: str):
        self.func = func
        self.ttl = ttl
        self.key_prefix = key_prefix
        self.version_key = f"{key_prefix}:version"
        functools.update_wrapper(self, func)

    def key(self, *args: Any, **kwargs: Any) -> str:
        raw = json.dumps([args, sorted(kwargs.items())], default=str, sort_keys=True)
        digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
        return f"{self.key_prefix}:{digest}"

    def _lookup(self, key: str) -> tuple[bool, Any, int]:
        """(hit, value, current version), in one round trip (two the first time a prefix
        is used, to create its version)."""
        found = cache.get_many([key, self.version_key])
        version = found.get(self.version_key)
        if version is None:
            cache.add(self.version_key, 1, None)
            version = cache.get(self.version_key) or 1
        entry = found.get(key)
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
            return True, entry[1], int(version)
        return False, None, int(version)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        key = self.key(*args, **kwargs)
        try:
            hit, value, version = self._lookup(key)
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)
            return self.func(*args, **kwargs)
        if hit:
            return value  # type: ignore[no-any-return]
        value = self.func(*args, **kwargs)
        try:
            cache.set(key, (version, value), self.ttl)
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)
        return value  # type: ignore[no-any-return]

    def set(self, value: R, *args: Any, **kwargs: Any) -> None:
        """Store `value` as the result of one call, as a call would."""
        try:
            version = cache.get(self.version_key) or 1
            cache.set(self.key(*args, **kwargs), (version, value), self.ttl)
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)

    def invalidate(self, *args: Any, **kwargs: Any) -> None:
        """Forget the cached result of one call."""
        try:
            cache.delete(self.key(*args, **kwargs))
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)

    def invalidate_all(self) -> None:
        """Forget every cached result under this prefix."""
        try:
            cache.incr(self.version_key)
        except ValueError:
            cache.set(self.version_key, 2, None)
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)


def cached(ttl: int, key_prefix: str) -> Callable[[Callable[P, R]], CachedFunction[P, R]]:
    def decorator(func: Callable[P, R]) -> CachedFunction[P, R]:
        return CachedFunction(func, ttl, key_prefix)

    return decorator

"""`cached(ttl, key_prefix)`: memoise a function in Django's cache (Redis when configured,
memory otherwise), with invalidation of one call or of everything under the prefix.

Invalidation of the whole prefix bumps a version number kept in the cache, so it works on
every backend without key scans. A cache failure never fails the call: the function runs."""

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

from django.core.cache import cache

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
_MISSING = object()


class CachedFunction(Generic[P, R]):
    def __init__(self, func: Callable[P, R], ttl: int, key_prefix: str):
        self.func = func
        self.ttl = ttl
        self.key_prefix = key_prefix
        functools.update_wrapper(self, func)

    def _version(self) -> int:
        try:
            return int(cache.get_or_set(f"{self.key_prefix}:version", 1, None) or 1)
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)
            return 0

    def key(self, *args: Any, **kwargs: Any) -> str:
        raw = json.dumps([args, sorted(kwargs.items())], default=str, sort_keys=True)
        digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
        return f"{self.key_prefix}:{self._version()}:{digest}"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        key = self.key(*args, **kwargs)
        try:
            value = cache.get(key, _MISSING)
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)
            return self.func(*args, **kwargs)
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]
        value = self.func(*args, **kwargs)
        try:
            cache.set(key, value, self.ttl)
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)
        return value  # type: ignore[no-any-return]

    def invalidate(self, *args: Any, **kwargs: Any) -> None:
        """Forget the cached result of one call."""
        try:
            cache.delete(self.key(*args, **kwargs))
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)

    def invalidate_all(self) -> None:
        """Forget every cached result under this prefix."""
        try:
            cache.incr(f"{self.key_prefix}:version")
        except ValueError:
            cache.set(f"{self.key_prefix}:version", 2, None)
        except Exception as exc:
            logger.warning("cache unavailable: %s", exc)


def cached(ttl: int, key_prefix: str) -> Callable[[Callable[P, R]], CachedFunction[P, R]]:
    def decorator(func: Callable[P, R]) -> CachedFunction[P, R]:
        return CachedFunction(func, ttl, key_prefix)

    return decorator

"""A Redis cache that keeps serving from process memory while Redis is unreachable.

django-redis alone either raises (the request fails) or, with IGNORE_EXCEPTIONS, acts as if
nothing were cached. Here a failing call is answered by a local memory cache instead, a
warning is logged, and Redis is not tried again for `RETRY_SECONDS` so that every request
does not wait for a socket timeout. When Redis answers again, it is used again."""

import logging
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
FAILURES = (ConnectionInterrupted, RedisError, OSError)


class FallbackRedisCache(RedisCache):
    RETRY_SECONDS = 5.0

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.fallback = LocMemCache(f"fallback-{id(self)}", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._down_until = 0.0

    @property
    def redis_available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.redis_available:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except FAILURES as exc:
                self._down_until = time.monotonic() + self.RETRY_SECONDS
                logger.warning("Redis cache unavailable, using process memory: %s", exc)
        kwargs.pop("client", None)
        return getattr(self.fallback, name)(*args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set", *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("add", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get_many", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete_many", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("incr", *args, **kwargs)

    def decr(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("decr", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("has_key", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("touch", *args, **kwargs)

    def clear(self) -> Any:
        self.fallback.clear()
        return self._call("clear")

"""Redis down in the middle of traffic: the API keeps serving (the cache and the rate
limiter fall back to process memory, with a logged warning), /ready says 503 naming Redis
and the broker, and when Redis is back everything uses it again. A Redis that hangs
instead of refusing costs one socket timeout, not one per request.

Redis here is a server of the test's own (killed and started again on the same port), or
a socket that accepts connections and never answers; the shared Redis is never touched."""

import logging

import pytest
from django.core.cache import cache
from django.test import override_settings

from config.api import throttling
from config.cache_backends import FallbackRedisCache
from tests.accounts.factories import PASSWORD, StudentFactory
from tests.conftest import client_for
from tests.reliability.faults import HungServer, wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

KEY_PREFIX = "faults"


def redis_settings(url: str, broker_url: str, timeout: float = 2):
    """The settings of a deployment whose cache, rate limiter and broker use `url`."""
    return override_settings(
        REDIS_URL=url,
        CELERY_BROKER_URL=broker_url,
        CACHES={
            "default": {
                "BACKEND": "config.cache_backends.FallbackRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": KEY_PREFIX,
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "SOCKET_CONNECT_TIMEOUT": timeout,
                    "SOCKET_TIMEOUT": timeout,
                },
            }
        },
    )


@pytest.fixture
def limiter(monkeypatch):
    """The rate limiter starts without a Redis client (so it connects to the Redis of the
    settings in force) and warns at the first failure."""
    monkeypatch.setattr(throttling, "_redis_buckets", None)
    monkeypatch.setattr(throttling, "_last_warning", 0.0)
    yield
    throttling._redis_buckets = None


def log_in(api_client, student) -> int:
    """Log in (the login checks the lockout counters in the cache); the status."""
    response = api_client.post(
        "/api/v1/auth/login", {"email": student.email, "password": PASSWORD}, format="json"
    )
    return response.status_code


def test_the_api_keeps_serving_while_redis_is_down_and_uses_it_again_when_it_is_back(
    redis_server, limiter, api_client, monkeypatch, caplog
):
    monkeypatch.setattr(FallbackRedisCache, "RETRY_SECONDS", 0.2)
    monkeypatch.setattr(throttling, "REDIS_RETRY_SECONDS", 0.2)
    student = StudentFactory()
    client = client_for(student)
    redis = redis_server.client()
    bucket = f"{KEY_PREFIX}:rl:default:user:{student.pk}"
    with redis_settings(redis_server.url(0), redis_server.url(1)):
        assert log_in(api_client, student) == 200
        assert client.get("/api/v1/auth/me").status_code == 200
        assert redis.exists(bucket)
        assert api_client.get("/ready").status_code == 200

        redis_server.stop()
        with caplog.at_level(logging.WARNING):
            assert log_in(api_client, student) == 200
            me = client.get("/api/v1/auth/me")
        ready = api_client.get("/ready")

        assert me.status_code == 200
        assert me["X-RateLimit-Remaining"].isdigit()
        assert "rate limiter falling back to process memory" in caplog.text
        assert "Redis cache unavailable, using process memory" in caplog.text
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "checks": {
                "database": "ok",
                "cache": "ok",
                "redis": "Unavailable: redis unreachable: ConnectionError",
                "broker": "Unavailable: broker unreachable: OperationalError",
            },
        }

        redis_server.start()  # back, and empty
        redis = redis_server.client()
        assert api_client.get("/ready").status_code == 200
        wait_until(
            lambda: client.get("/api/v1/auth/me").status_code == 200 and redis.exists(bucket),
            timeout=10,
            what="the rate limiter to use Redis again",
        )
        wait_until(
            lambda: cache.set("probe", 1) or redis.exists(f"{KEY_PREFIX}:1:probe"),
            timeout=10,
            what="the cache to use Redis again",
        )
        assert log_in(api_client, student) == 200


def test_a_hung_redis_costs_one_timeout_not_one_per_request(limiter, api_client, caplog):
    """Connections are accepted and nothing comes back: the first request waits for the
    socket timeout (rate limiter, then cache); the next ones do not ask Redis again."""
    hung = HungServer()
    student = StudentFactory()
    try:
        with (
            redis_settings(hung.url(0), "memory://", timeout=0.3),
            caplog.at_level(logging.WARNING),
        ):
            statuses = [log_in(api_client, student) for _ in range(5)]
    finally:
        hung.close()

    assert statuses == [200] * 5
    assert hung.connections == 2  # one by the rate limiter, one by the cache
    assert "rate limiter falling back to process memory" in caplog.text
    assert "Redis cache unavailable, using process memory" in caplog.text

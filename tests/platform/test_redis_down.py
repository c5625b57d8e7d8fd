"""With Redis unreachable the API keeps serving: cache and rate limiter fall back to process
memory with a logged warning, and /ready says 503 naming Redis."""

import logging

import pytest
from django.core.cache import cache
from django.test import override_settings

from config.api import throttling

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

DEAD_REDIS = "redis://127.0.0.1:6390/0"
DEAD_CACHES = {
    "default": {
        "BACKEND": "config.cache_backends.FallbackRedisCache",
        "LOCATION": DEAD_REDIS,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_ready_reports_redis_when_it_is_up(api_client):
    response = api_client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "ok"


@pytest.fixture
def redis_down(monkeypatch):
    monkeypatch.setattr(throttling, "_redis_buckets", None)
    monkeypatch.setattr(throttling, "_last_warning", 0.0)
    with override_settings(CACHES=DEAD_CACHES, REDIS_URL=DEAD_REDIS, CELERY_BROKER_URL="memory://"):
        yield
    monkeypatch.setattr(throttling, "_redis_buckets", None)


def test_cache_falls_back_to_memory_with_a_warning(redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="config.cache_backends"):
        cache.set("k", "v", 30)
        assert cache.get("k") == "v"
        assert cache.add("counter", 1)
        assert cache.incr("counter") == 2
    assert "Redis cache unavailable" in caplog.text


def test_api_keeps_serving_with_rate_limit_headers(redis_down, student_client, caplog):
    with caplog.at_level(logging.WARNING):
        response = student_client.get("/api/v1/auth/me")
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"].isdigit()
    assert "rate limiter falling back" in caplog.text


def test_ready_is_503_naming_redis(redis_down, api_client):
    response = api_client.get("/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert "redis unreachable: ConnectionError" in checks["redis"]

"""Shared fixtures: API clients per role, authenticated with real JWTs."""

import contextlib

import pytest
from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tokens import token_pair_for
from config.api import throttling
from config.api.throttling import local_buckets
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory


def _clear_cache() -> None:
    """Empty this process's cache. With Redis, only the keys under this process's prefix go:
    xdist workers share the Redis database, and flushing it would empty the other worker's
    cache in the middle of its test."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    fallback = getattr(cache, "fallback", None)
    if fallback is not None:
        fallback.clear()
    if not settings.REDIS_URL or "Redis" not in settings.CACHES["default"]["BACKEND"]:
        cache.clear()
        return
    with contextlib.suppress(Exception):
        client = get_redis_connection("default")
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Every test starts with an empty cache and full rate-limit buckets, and the rate
    limiter asks Redis (when configured) whatever failed in an earlier test."""
    local_buckets.clear()
    throttling._redis_retry_at = 0.0
    _clear_cache()
    yield
    local_buckets.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(user)['access']}")
    client.user = user
    return client


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def student(db):
    return StudentFactory()


@pytest.fixture
def other_student(db):
    return StudentFactory()


@pytest.fixture
def mentor(db):
    return MentorFactory()


@pytest.fixture
def staff(db):
    return AdminFactory()


@pytest.fixture
def student_client(student) -> APIClient:
    return client_for(student)


@pytest.fixture
def other_student_client(other_student) -> APIClient:
    return client_for(other_student)


@pytest.fixture
def mentor_client(mentor) -> APIClient:
    return client_for(mentor)


@pytest.fixture
def staff_client(staff) -> APIClient:
    return client_for(staff)


def pytest_collection_modifyitems(config, items):
    """`postgres` tests need real row locks and concurrent connections; `redis` tests a
    real Redis. Each is skipped where its service is not configured."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (set REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)

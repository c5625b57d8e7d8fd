"""Token-bucket rate limiting: headers on every API response, 429 with Retry-After,
a stricter auth scope, atomic buckets in Redis, and a local fallback."""

import logging
import threading

import pytest
from django.test import override_settings

from config.api import throttling
from config.api.throttling import LocalBuckets, take_token

pytestmark = pytest.mark.django_db


@override_settings(RATE_LIMIT_REQUESTS=3, RATE_LIMIT_WINDOW=60)
def test_headers_count_down_then_429_with_retry_after(student_client):
    remaining = []
    for _ in range(3):
        response = student_client.get("/api/v1/auth/me")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        remaining.append(int(response["X-RateLimit-Remaining"]))
        assert int(response["X-RateLimit-Reset"]) > 0
    assert remaining == [2, 1, 0]
    refused = student_client.get("/api/v1/auth/me")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) >= 1
    assert refused["X-RateLimit-Remaining"] == "0"


@override_settings(RATE_LIMIT_REQUESTS=2, RATE_LIMIT_WINDOW=60)
def test_buckets_are_per_user(student_client, other_student_client):
    for _ in range(2):
        assert student_client.get("/api/v1/auth/me").status_code == 200
    assert student_client.get("/api/v1/auth/me").status_code == 429
    assert other_student_client.get("/api/v1/auth/me").status_code == 200


@override_settings(RATE_LIMIT_REQUESTS=100, RATE_LIMIT_AUTH_REQUESTS=2, RATE_LIMIT_WINDOW=60)
def test_auth_scope_is_stricter_and_per_ip(api_client):
    body = {"email": "ghost@example.com", "password": "wrong"}
    assert api_client.post("/api/v1/auth/login", body).status_code == 401
    second = api_client.post("/api/v1/auth/login", body)
    assert second.status_code == 401
    assert second["X-RateLimit-Limit"] == "2"
    assert api_client.post("/api/v1/auth/login", body).status_code == 429
    assert (
        api_client.post("/api/v1/auth/password/reset", {"email": "x@example.com"}).status_code
        == 429
    )


@override_settings(RATE_LIMIT_REQUESTS=1, RATE_LIMIT_WINDOW=60)
def test_health_ready_and_docs_are_exempt(api_client):
    for _ in range(3):
        assert api_client.get("/health").status_code == 200
        assert api_client.get("/api/v1/schema/").status_code == 200
    assert "X-RateLimit-Limit" not in api_client.get("/health")


def test_requests_that_fail_authentication_still_get_headers(api_client):
    response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer nonsense")
    assert response.status_code == 401
    assert "X-RateLimit-Remaining" in response


def test_local_bucket_is_exact_under_threads():
    buckets = LocalBuckets()
    results: list[bool] = []
    lock = threading.Lock()

    def hit():
        for _ in range(20):
            decision = buckets.take("k", 50, 3600)
            with lock:
                results.append(decision.allowed)

    threads = [threading.Thread(target=hit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 50


@pytest.mark.redis
def test_redis_bucket_is_atomic_across_threads():
    """200 concurrent takes from a bucket of 50 let exactly 50 through."""
    results: list[bool] = []
    lock = threading.Lock()
    key = "atomic-test"

    def hit():
        for _ in range(20):
            decision = take_token(key, 50, 3600)
            with lock:
                results.append(decision.allowed)

    threads = [threading.Thread(target=hit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 200
    assert results.count(True) == 50
    assert throttling.local_buckets._buckets == {}


@pytest.mark.redis
def test_redis_failure_falls_back_to_local_with_warning(monkeypatch, caplog):
    class Broken:
        def take(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(throttling, "_redis_buckets", Broken())
    monkeypatch.setattr(throttling, "_last_warning", 0.0)
    with caplog.at_level(logging.WARNING, logger="config.api.throttling"):
        decision = take_token("fallback", 5, 60)
    assert decision.allowed
    assert decision.remaining == 4
    assert "falling back" in caplog.text
    assert "fallback" in str(throttling.local_buckets._buckets)


@pytest.mark.redis
def test_after_a_redis_failure_the_limiter_leaves_redis_alone_for_a_while(monkeypatch):
    calls = []

    class Broken:
        def take(self, *args, **kwargs):
            calls.append(args)
            raise TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(throttling, "_redis_buckets", Broken())
    monkeypatch.setattr(throttling, "REDIS_RETRY_SECONDS", 60)
    decisions = [take_token("hung", 5, 60) for _ in range(3)]
    assert [decision.remaining for decision in decisions] == [4, 3, 2]
    assert len(calls) == 1

    monkeypatch.setattr(throttling, "_redis_retry_at", 0.0)  # the minute has passed
    take_token("hung", 5, 60)
    assert len(calls) == 2


@override_settings(RATE_LIMIT_REQUESTS=3, RATE_LIMIT_WINDOW=60)
@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        ("/api/v1/auth/me", {}, 401),
        ("/api/v1/auth/me", {"HTTP_AUTHORIZATION": "Bearer garbage"}, 401),
        ("/api/v1/no-such-endpoint", {}, 404),
    ],
)
def test_failing_requests_are_throttled_too(api_client, url, headers, status):
    statuses = [api_client.get(url, **headers).status_code for _ in range(4)]
    assert statuses == [status, status, status, 429]


@override_settings(RATE_LIMIT_REQUESTS=2, RATE_LIMIT_WINDOW=60)
def test_forbidden_requests_count_against_the_callers_bucket(student_client):
    statuses = [student_client.get("/api/v1/users").status_code for _ in range(3)]
    assert statuses == [403, 403, 429]
    assert student_client.get("/api/v1/auth/me").status_code == 429


@override_settings(RATE_LIMIT_AUTH_REQUESTS=1, RATE_LIMIT_WINDOW=60, TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_clients_are_told_apart_by_forwarded_for(api_client):
    body = {"email": "ghost@example.com", "password": "wrong"}

    def login(forwarded):
        return api_client.post(
            "/api/v1/auth/login", body, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    assert login("198.51.100.7") == 401
    assert login("198.51.100.7") == 429
    assert login("203.0.113.9") == 401
    # A client cannot escape its bucket by forging the left part of the header.
    assert login("1.2.3.4, 198.51.100.7") == 429


@override_settings(RATE_LIMIT_AUTH_REQUESTS=1, RATE_LIMIT_WINDOW=60, TRUSTED_PROXY_COUNT=0)
def test_forwarded_for_is_ignored_without_trusted_proxies(api_client):
    body = {"email": "ghost@example.com", "password": "wrong"}
    first = api_client.post("/api/v1/auth/login", body, HTTP_X_FORWARDED_FOR="198.51.100.7")
    second = api_client.post("/api/v1/auth/login", body, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert (first.status_code, second.status_code) == (401, 429)

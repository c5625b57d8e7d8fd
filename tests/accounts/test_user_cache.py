"""The authenticated-user cache: a bearer token costs no user query while the row is
current, and every change to the user (suspension, password change, token revocation,
deletion, any save) is seen by the next request."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import user_cache
from accounts.models import User
from accounts.tokens import token_pair_for
from config.cache import shared_cache_available
from tests.accounts.factories import PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_on(settings, monkeypatch):
    """The cache as production runs it. Without Redis the local-memory cache stands in for a
    shared one (the guard that refuses unshared caches has its own test)."""
    settings.AUTH_USER_CACHE_SECONDS = 60
    if not shared_cache_available():
        monkeypatch.setattr(user_cache, "shared_cache_available", lambda: True)


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_the_second_lookup_makes_no_query(cache_on, django_assert_num_queries):
    student = StudentFactory()
    with django_assert_num_queries(1):
        assert user_cache.user_for_authentication(user_id=student.pk) == student
    with django_assert_num_queries(0):
        cached = user_cache.user_for_authentication(user_id=student.pk)
    assert (cached.pk, cached.email, cached.role, cached.token_version) == (
        student.pk,
        student.email,
        student.role,
        student.token_version,
    )


def test_a_request_with_a_cached_user_makes_one_query_less(
    cache_on, settings, django_assert_num_queries
):
    student = StudentFactory()
    client = bearer(token_pair_for(student)["access"])
    settings.AUTH_USER_CACHE_SECONDS = 0
    with django_assert_num_queries(1):  # the user
        assert client.get("/api/v1/auth/me").status_code == 200
    settings.AUTH_USER_CACHE_SECONDS = 60
    client.get("/api/v1/auth/me")
    with django_assert_num_queries(0):
        response = client.get("/api/v1/auth/me")
    assert (response.status_code, response.json()["email"]) == (200, student.email)


def test_the_password_hash_is_not_cached_but_still_checked(cache_on):
    student = StudentFactory()
    user_cache.user_for_authentication(user_id=student.pk)
    entry = cache.get(f"auth-user:{student.pk}")
    assert "password" in entry[1].get_deferred_fields()
    cached = user_cache.user_for_authentication(user_id=student.pk)
    assert cached.check_password(PASSWORD) is True
    assert cached.check_password("wrong") is False


def test_suspension_is_seen_by_the_next_request(
    cache_on, staff_client, django_capture_on_commit_callbacks
):
    student = StudentFactory()
    client = bearer(token_pair_for(student)["access"])
    assert client.get("/api/v1/auth/me").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        suspended = staff_client.post(f"/api/v1/users/{student.pk}/suspend", {"reason": "spam"})
    assert suspended.status_code == 200
    refused = client.get("/api/v1/auth/me")
    assert (refused.status_code, refused.json()["code"]) == (403, "account_suspended")


def test_the_cached_row_counts_until_the_change_commits(
    cache_on, staff, django_capture_on_commit_callbacks
):
    """The generation is replaced after commit, so a reader that cached the row between the
    change and the commit does not keep it."""
    from accounts import services

    student = StudentFactory()
    user_cache.user_for_authentication(user_id=student.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.user_suspend(user=student, acting_user=staff, reason="spam")
    assert user_cache.user_for_authentication(user_id=student.pk).is_active is True
    for callback in callbacks:
        callback()
    assert user_cache.user_for_authentication(user_id=student.pk).is_active is False


def test_a_reader_storing_an_old_row_after_the_change_does_not_bring_it_back(
    cache_on, staff, django_capture_on_commit_callbacks
):
    from accounts import services

    student = StudentFactory()
    user_cache.user_for_authentication(user_id=student.pk)
    generation_before = cache.get(f"auth-user:{student.pk}:generation")
    read_before = User.objects.defer("password").get(pk=student.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.user_suspend(user=student, acting_user=staff, reason="spam")
    # A request that read the row before the suspension stores it now.
    cache.set(f"auth-user:{student.pk}", (generation_before, read_before), 60)
    assert user_cache.user_for_authentication(user_id=student.pk).is_active is False


def test_a_password_change_revokes_the_old_tokens_at_once(
    cache_on, django_capture_on_commit_callbacks
):
    student = StudentFactory()
    old = bearer(token_pair_for(student)["access"])
    assert old.get("/api/v1/auth/me").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        changed = old.post(
            "/api/v1/auth/password/change",
            {"old_password": PASSWORD, "new_password": "another-strong-passphrase"},
        )
    assert changed.status_code == 200
    refused = old.get("/api/v1/auth/me")
    assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")
    fresh = bearer(changed.json()["access"])
    assert fresh.get("/api/v1/auth/me").status_code == 200


def test_a_deleted_user_is_refused_at_once(
    cache_on, staff_client, django_capture_on_commit_callbacks
):
    student = StudentFactory()
    client = bearer(token_pair_for(student)["access"])
    assert client.get("/api/v1/auth/me").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.delete(f"/api/v1/users/{student.pk}").status_code == 204
    refused = client.get("/api/v1/auth/me")
    assert refused.status_code == 401


def test_any_save_of_the_user_is_seen(cache_on, django_capture_on_commit_callbacks):
    student = StudentFactory(role="student")
    user_cache.user_for_authentication(user_id=student.pk)
    with django_capture_on_commit_callbacks(execute=True):
        student.role = User.Role.MENTOR
        student.save(update_fields=["role"])
    assert user_cache.user_for_authentication(user_id=student.pk).role == User.Role.MENTOR


def test_login_forgets_the_cached_last_login(cache_on, django_capture_on_commit_callbacks):
    student = StudentFactory()
    assert user_cache.user_for_authentication(user_id=student.pk).last_login is None
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(
            "/api/v1/auth/login", {"email": student.email, "password": PASSWORD}
        )
    assert response.status_code == 200
    assert user_cache.user_for_authentication(user_id=student.pk).last_login is not None


def test_off_when_the_setting_is_zero(cache_on, settings, django_assert_num_queries):
    settings.AUTH_USER_CACHE_SECONDS = 0
    student = StudentFactory()
    user_cache.user_for_authentication(user_id=student.pk)
    with django_assert_num_queries(1):
        user_cache.user_for_authentication(user_id=student.pk)
    assert cache.get(f"auth-user:{student.pk}") is None


def test_off_when_the_cache_is_not_shared_by_every_process(
    settings, monkeypatch, django_assert_num_queries
):
    """Process memory (the embedded default, or the fallback while Redis is down) would not
    hear of a suspension made by another process: the user is read every time."""
    settings.AUTH_USER_CACHE_SECONDS = 60
    monkeypatch.setattr(user_cache, "shared_cache_available", lambda: False)
    student = StudentFactory()
    user_cache.user_for_authentication(user_id=student.pk)
    with django_assert_num_queries(1):
        user_cache.user_for_authentication(user_id=student.pk)
    assert cache.get(f"auth-user:{student.pk}") is None


def test_only_redis_counts_as_shared(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert shared_cache_available() is False


@pytest.mark.redis
def test_redis_counts_as_shared_only_while_it_answers(monkeypatch):
    from django.core.cache import caches

    assert shared_cache_available() is True
    monkeypatch.setattr(caches["default"], "_down_until", float("inf"))
    assert shared_cache_available() is False


@pytest.mark.redis
def test_suspension_through_real_redis(settings, staff_client, django_capture_on_commit_callbacks):
    settings.AUTH_USER_CACHE_SECONDS = 60
    student = StudentFactory()
    client = bearer(token_pair_for(student)["access"])
    assert client.get("/api/v1/auth/me").status_code == 200
    assert cache.get(f"auth-user:{student.pk}") is not None
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/api/v1/users/{student.pk}/suspend", {"reason": "spam"})
    assert client.get("/api/v1/auth/me").status_code == 403


def test_a_broken_cache_falls_back_to_the_database(cache_on, monkeypatch):
    class Broken:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("down")

            return fail

    monkeypatch.setattr(user_cache, "cache", Broken())
    student = StudentFactory()
    assert user_cache.user_for_authentication(user_id=student.pk) == student


# --- the token is verified once per request ---------------------------------------------------


@pytest.fixture
def decodes(monkeypatch):
    """Counts JWT signature checks."""
    from rest_framework_simplejwt.state import token_backend as backend

    calls: list[str] = []
    real = backend.decode

    def counting(token, verify=True):
        calls.append(token)
        return real(token, verify=verify)

    monkeypatch.setattr(backend, "decode", counting)
    return calls


def test_the_rate_limiter_and_authentication_verify_the_token_once(settings, decodes):
    settings.RATE_LIMIT_ENABLED = True
    student = StudentFactory()
    response = bearer(token_pair_for(student)["access"]).get("/api/v1/auth/me")
    assert (response.status_code, response.json()["id"]) == (200, student.pk)
    assert len(decodes) == 1


def test_without_the_rate_limiter_authentication_verifies_the_token(settings, decodes):
    settings.RATE_LIMIT_ENABLED = False
    student = StudentFactory()
    response = bearer(token_pair_for(student)["access"]).get("/api/v1/auth/me")
    assert (response.status_code, response.json()["id"]) == (200, student.pk)
    assert len(decodes) == 1


def test_a_revoked_token_verified_by_the_rate_limiter_is_still_refused(settings):
    from accounts import services

    settings.RATE_LIMIT_ENABLED = True
    student = StudentFactory()
    access = token_pair_for(student)["access"]
    services.tokens_revoke_all(user=student)
    refused = bearer(access).get("/api/v1/auth/me")
    assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")

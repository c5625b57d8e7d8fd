"""Login brute force: repeated failures for one identifier or one IP lock further attempts
out for a cool-down, without revealing whether the account exists."""

import pytest
from freezegun import freeze_time

from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_lockout(settings):
    settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES = 3
    settings.LOGIN_LOCKOUT_IP_FAILURES = 100
    settings.LOGIN_LOCKOUT_COOLDOWN_SECONDS = 600


def fail(client, email, ip="10.0.0.1"):
    return client.post("/api/v1/auth/login", {"email": email, "password": "wrong"}, REMOTE_ADDR=ip)


def test_account_locks_after_failures_even_for_the_right_password(
    strict_lockout, api_client, student
):
    statuses = [fail(api_client, student.email).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    locked = api_client.post(
        "/api/v1/auth/login", {"email": student.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_login_attempts"
    assert 1 <= int(locked["Retry-After"]) <= 600
    assert locked.json()["retry_after"] == int(locked["Retry-After"])


def test_unknown_and_known_accounts_lock_out_identically(strict_lockout, api_client, student):
    known = [fail(api_client, student.email).status_code for _ in range(4)]
    unknown = [fail(api_client, "ghost@example.com").status_code for _ in range(4)]
    assert known == unknown == [401, 401, 401, 429]
    assert fail(api_client, student.email).json() == fail(api_client, "ghost@example.com").json()


def test_cool_down_ends(strict_lockout, api_client, student):
    with freeze_time("2026-11-01 10:00:00") as frozen:
        for _ in range(3):
            fail(api_client, student.email)
        assert fail(api_client, student.email).status_code == 429
        frozen.tick(601)
        ok = api_client.post("/api/v1/auth/login", {"email": student.email, "password": PASSWORD})
    assert ok.status_code == 200


def test_success_resets_the_account_counter(strict_lockout, api_client, student):
    fail(api_client, student.email)
    fail(api_client, student.email)
    ok = api_client.post("/api/v1/auth/login", {"email": student.email, "password": PASSWORD})
    assert ok.status_code == 200
    assert [fail(api_client, student.email).status_code for _ in range(3)] == [401, 401, 401]


def test_one_ip_trying_many_accounts_is_locked(settings, api_client, student):
    settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES = 100
    settings.LOGIN_LOCKOUT_IP_FAILURES = 4
    statuses = [
        fail(api_client, f"guess{n}@example.com", ip="10.9.9.9").status_code for n in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    other_ip = api_client.post(
        "/api/v1/auth/login", {"email": student.email, "password": PASSWORD}, REMOTE_ADDR="10.1.1.1"
    )
    assert other_ip.status_code == 200

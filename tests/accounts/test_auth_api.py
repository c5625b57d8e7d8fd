import pytest
from django.core import mail

from accounts.models import User
from tests.accounts.factories import PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db


def test_signup_creates_student_and_sends_welcome_after_commit(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_client.post(
            "/api/v1/auth/signup",
            {
                "email": "New@Example.com",
                "username": "newbie",
                "password": PASSWORD,
                "first_name": "New",
                "last_name": "Bie",
            },
        )
    assert response.status_code == 201
    assert response.json()["email"] == "new@example.com"
    assert response.json()["role"] == "student"
    assert "password" not in response.json()
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert User.objects.get(username="newbie").check_password(PASSWORD)


def test_signup_refuses_admin_role(api_client):
    response = api_client.post(
        "/api/v1/auth/signup",
        {"email": "a@example.com", "username": "a", "password": PASSWORD, "role": "admin"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "role" in response.json()["errors"]
    assert not User.objects.exists()


def test_signup_duplicate_email_and_username_are_field_errors(api_client, student):
    response = api_client.post(
        "/api/v1/auth/signup",
        {"email": student.email.upper(), "username": student.username, "password": PASSWORD},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "username"}
    assert User.objects.count() == 1


def test_signup_weak_password_is_refused(api_client):
    response = api_client.post(
        "/api/v1/auth/signup", {"email": "w@example.com", "username": "w", "password": "123"}
    )
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["email", "username"])
def test_login_with_email_or_username(api_client, student, field):
    response = api_client.post(
        "/api/v1/auth/login", {field: getattr(student, field), "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "token_type"}
    assert body["token_type"] == "Bearer"
    me = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200
    assert me.json()["id"] == student.id


def test_login_wrong_password_and_unknown_user_look_the_same(api_client, student):
    wrong = api_client.post("/api/v1/auth/login", {"email": student.email, "password": "nope"})
    unknown = api_client.post(
        "/api/v1/auth/login", {"email": "ghost@example.com", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_login_suspended_user_is_told(api_client):
    user = StudentFactory(is_active=False)
    User.objects.filter(pk=user.pk).update(suspended_at="2026-01-01T00:00:00Z")
    response = api_client.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["code"] == "account_suspended"


def test_refresh_rotates_and_reuse_is_refused(api_client, student):
    pair = api_client.post(
        "/api/v1/auth/login", {"email": student.email, "password": PASSWORD}
    ).json()
    rotated = api_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]})
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != pair["refresh"]
    reused = api_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["status_code"] == 401


def test_logout_blacklists_refresh_token(student_client, api_client, student):
    pair = api_client.post(
        "/api/v1/auth/login", {"email": student.email, "password": PASSWORD}
    ).json()
    response = student_client.post("/api/v1/auth/logout", {"refresh": pair["refresh"]})
    assert response.status_code == 204
    assert api_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401


def test_me_patch_updates_own_profile_only_allowed_fields(student_client, student):
    response = student_client.patch(
        "/api/v1/auth/me", {"first_name": "Changed", "role": "admin", "tier": "enterprise"}
    )
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.first_name == "Changed"
    assert student.role == "student"
    assert student.tier == "free"


def test_password_change_revokes_other_tokens(student_client, api_client, student):
    old_pair = api_client.post(
        "/api/v1/auth/login", {"email": student.email, "password": PASSWORD}
    ).json()
    response = student_client.post(
        "/api/v1/auth/password/change",
        {"old_password": PASSWORD, "new_password": "another-strong-passphrase"},
    )
    assert response.status_code == 200
    new_access = response.json()["access"]
    assert (
        api_client.post("/api/v1/auth/refresh", {"refresh": old_pair["refresh"]}).status_code == 401
    )
    old_access = api_client.get(
        "/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {old_pair['access']}"
    )
    assert old_access.status_code == 401
    assert old_access.json()["code"] == "token_revoked"
    assert (
        api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {new_access}").status_code
        == 200
    )


def test_password_change_wrong_old_password(student_client, student):
    response = student_client.post(
        "/api/v1/auth/password/change",
        {"old_password": "wrong", "new_password": "another-strong-passphrase"},
    )
    assert response.status_code == 400
    assert "old_password" in response.json()["errors"]
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_password_reset_flow_is_one_time(api_client, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/auth/password/reset", {"email": student.email})
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "uid=" in line)
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    confirm = {"uid": query["uid"], "token": query["token"], "new_password": "brand-new-passphrase"}
    assert api_client.post("/api/v1/auth/password/reset/confirm", confirm).status_code == 200
    student.refresh_from_db()
    assert student.check_password("brand-new-passphrase")
    again = api_client.post(
        "/api/v1/auth/password/reset/confirm", {**confirm, "new_password": "third-passphrase-x"}
    )
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_reset_link"


def test_password_reset_unknown_email_is_also_202_and_sends_nothing(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/auth/password/reset", {"email": "ghost@example.com"})
    assert response.status_code == 202
    assert mail.outbox == []

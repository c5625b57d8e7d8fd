"""The /api/v1/auth endpoints refuse bad input and unauthenticated callers with the one error
body, and change nothing when they do."""

import pytest
from django.core import mail
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import User
from accounts.tokens import token_pair_for
from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db

AUTH_WRITES = [
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("patch", "/api/v1/auth/me"),
    ("post", "/api/v1/auth/password/change"),
    ("post", "/api/v1/auth/password/reset"),
    ("post", "/api/v1/auth/password/reset/confirm"),
]


def state(user) -> dict:
    return User.objects.filter(pk=user.pk).values().get()


@pytest.mark.parametrize(("method", "path"), AUTH_WRITES)
def test_malformed_json_is_a_parse_error(student_client, student, method, path):
    before = (User.objects.count(), state(student))

    response = getattr(student_client, method)(
        path, '{"password": "x",', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["status_code"] == 400
    assert (User.objects.count(), state(student)) == before


@pytest.mark.parametrize(
    ("path", "data", "fields"),
    [
        ("/api/v1/auth/signup", {}, {"email", "username", "password"}),
        (
            "/api/v1/auth/signup",
            {"email": ["a@example.com"], "username": {"u": 1}, "password": True},
            {"email", "username", "password"},
        ),
        (
            "/api/v1/auth/signup",
            {
                "email": "e" * 250 + "@example.com",
                "username": "u" * 151,
                "password": "p" * 129,
                "first_name": "f" * 151,
            },
            {"email", "username", "password", "first_name"},
        ),
        (
            "/api/v1/auth/signup",
            {"email": "a@example.com", "username": "a", "password": PASSWORD, "role": "wizard"},
            {"role"},
        ),
        ("/api/v1/auth/login", {}, {"password"}),
        ("/api/v1/auth/login", {"password": PASSWORD}, {"login"}),
        ("/api/v1/auth/login", {"email": {"a": 1}, "password": ["x"]}, {"email", "password"}),
        ("/api/v1/auth/login", {"login": "x" * 255, "password": PASSWORD}, {"login"}),
        ("/api/v1/auth/refresh", {}, {"refresh"}),
        ("/api/v1/auth/refresh", {"refresh": "r" * 2049}, {"refresh"}),
        ("/api/v1/auth/password/reset", {}, {"email"}),
        ("/api/v1/auth/password/reset", {"email": "not-an-email"}, {"email"}),
        ("/api/v1/auth/password/reset/confirm", {}, {"uid", "token", "new_password"}),
        (
            "/api/v1/auth/password/reset/confirm",
            {"uid": "u" * 65, "token": "t" * 129, "new_password": "p" * 129},
            {"uid", "token", "new_password"},
        ),
    ],
)
def test_public_endpoints_refuse_bad_input(api_client, student, path, data, fields):
    before = (User.objects.count(), state(student))

    response = api_client.post(path, data)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == fields
    assert (User.objects.count(), state(student)) == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("method", "path", "data", "fields"),
    [
        ("patch", "/api/v1/auth/me", {"first_name": {"a": 1}}, {"first_name"}),
        ("patch", "/api/v1/auth/me", {"last_name": "l" * 151}, {"last_name"}),
        ("patch", "/api/v1/auth/me", {"username": "has space"}, {"username"}),
        ("patch", "/api/v1/auth/me", {"lms_user_id": "x" * 65}, {"lms_user_id"}),
        ("post", "/api/v1/auth/password/change", {}, {"old_password", "new_password"}),
        (
            "post",
            "/api/v1/auth/password/change",
            {"old_password": PASSWORD, "new_password": "123"},
            {"new_password"},
        ),
        (
            "post",
            "/api/v1/auth/password/change",
            {"old_password": PASSWORD, "new_password": "n" * 129},
            {"new_password"},
        ),
        ("post", "/api/v1/auth/logout", {}, {"refresh"}),
        ("post", "/api/v1/auth/logout", {"refresh": "garbage"}, {"refresh"}),
    ],
)
def test_authenticated_endpoints_refuse_bad_input(
    student_client, student, method, path, data, fields
):
    before = state(student)

    response = getattr(student_client, method)(path, data)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert state(student) == before


def test_me_patch_to_a_taken_username_is_refused(student_client, student, other_student):
    before = state(student)

    response = student_client.patch("/api/v1/auth/me", {"username": other_student.username.upper()})

    assert response.status_code == 400
    assert response.json()["errors"] == {"username": ["A user with this username already exists."]}
    assert state(student) == before


def test_logout_with_someone_elses_refresh_token_is_refused(student_client, other_student):
    refresh = token_pair_for(other_student)["refresh"]

    response = student_client.post("/api/v1/auth/logout", {"refresh": refresh})

    assert response.status_code == 400
    assert response.json()["errors"] == {"refresh": ["Token does not belong to you."]}
    assert not BlacklistedToken.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/auth/me"),
        ("patch", "/api/v1/auth/me"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/password/change"),
    ],
)
def test_private_auth_endpoints_need_a_token(api_client, method, path):
    response = getattr(api_client, method)(path, {})

    assert response.status_code == 401
    assert response.json() == {
        "status_code": 401,
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
    }


@pytest.mark.parametrize(
    "header", ["Bearer not.a.jwt", "Bearer", "Basic dXNlcjpwYXNz", "Bearer a b"]
)
def test_malformed_authorization_header_is_401(api_client, header):
    response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["status_code"] == 401


def test_refresh_with_garbage_is_401(api_client):
    response = api_client.post("/api/v1/auth/refresh", {"refresh": "garbage"})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_password_reset_confirm_with_a_bad_uid(api_client, student):
    before = state(student)

    response = api_client.post(
        "/api/v1/auth/password/reset/confirm",
        {"uid": "!!!", "token": "nope", "new_password": "a-new-passphrase-1"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_reset_link"
    assert state(student) == before

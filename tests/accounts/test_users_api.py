"""The staff user administration API: /api/v1/users."""

import threading

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from accounts import signals
from accounts.models import AuditLog, Credential, User
from accounts.services import credential_store
from tests.accounts.factories import PASSWORD, AdminFactory, MentorFactory, StudentFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def login(user) -> dict:
    return (
        APIClient().post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}).json()
    )


def me_with(access: str):
    return APIClient().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}")


def refresh_with(refresh: str):
    return APIClient().post("/api/v1/auth/refresh", {"refresh": refresh})


def user_state(user_id: int) -> dict:
    return User.objects.filter(pk=user_id).values().get()


# --- list and search ----------------------------------------------------------------------


def test_list_is_paginated_and_leaves_out_deleted_users(staff_client, staff, student, mentor):
    gone = StudentFactory()
    User.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z", is_active=False)

    response = staff_client.get("/api/v1/users")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert [u["id"] for u in body["results"]] == [staff.pk, student.pk, mentor.pk]
    assert set(body["results"][1]) == {
        "id",
        "email",
        "username",
        "first_name",
        "last_name",
        "role",
        "tier",
        "is_active",
        "suspended_at",
        "date_joined",
        "suspension_reason",
        "lms_user_id",
        "last_login",
    }


@pytest.mark.parametrize(
    ("term", "expected"),
    [("ada@", ["ada"]), ("LOVELACE", ["ada"]), ("bab", ["charles"]), ("Charles", ["charles"])],
)
def test_search_matches_email_username_and_names(staff_client, term, expected):
    StudentFactory(email="ada@example.com", username="ada", first_name="Ada", last_name="Lovelace")
    StudentFactory(
        email="cb@example.com", username="charles", first_name="Charles", last_name="Babbage"
    )

    response = staff_client.get("/api/v1/users", {"search": term})

    assert response.status_code == 200
    assert [u["username"] for u in response.json()["results"]] == expected


@pytest.mark.parametrize(("role", "count"), [("student", 2), ("mentor", 1), ("admin", 1)])
def test_filter_by_role(staff_client, student, other_student, mentor, role, count):
    response = staff_client.get("/api/v1/users", {"role": role})

    assert response.status_code == 200
    assert response.json()["count"] == count
    assert {u["role"] for u in response.json()["results"]} == {role}


def test_filter_by_unknown_role_is_400(staff_client):
    response = staff_client.get("/api/v1/users", {"role": "wizard"})

    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "code": "invalid",
        "message": "Invalid input: role.",
        "errors": {"role": ["Select a valid choice. wizard is not one of the available choices."]},
    }


@pytest.mark.parametrize("page_size", [2, 20])
def test_list_query_count_does_not_grow_with_page_size(
    staff_client, page_size, django_assert_num_queries
):
    StudentFactory.create_batch(25)

    # 1. the authenticated user, 2. COUNT(*) for the page, 3. the page of users
    with django_assert_num_queries(3):
        response = staff_client.get("/api/v1/users", {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


# --- create -------------------------------------------------------------------------------


def test_staff_creates_an_admin_who_is_staff(
    staff_client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/api/v1/users",
            {
                "email": "Boss@Example.com",
                "username": "boss",
                "password": PASSWORD,
                "role": "admin",
                "tier": "enterprise",
                "first_name": "Big",
            },
        )

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(username="boss")
    assert body["id"] == user.pk
    assert (body["email"], body["role"], body["tier"]) == (
        "boss@example.com",
        "admin",
        "enterprise",
    )
    assert user.is_staff
    assert user.check_password(PASSWORD)
    entry = AuditLog.objects.get(action="user.create")
    assert (entry.actor, entry.target_id, entry.after["role"]) == (staff, str(user.pk), "admin")
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]


def test_staff_creates_user_without_password(staff_client):
    response = staff_client.post("/api/v1/users", {"email": "np@example.com", "username": "np"})

    assert response.status_code == 201
    user = User.objects.get(username="np")
    assert (user.role, user.is_staff, user.has_usable_password()) == ("student", False, False)


def test_create_duplicate_is_field_errors_and_creates_nothing(staff_client, student):
    response = staff_client.post(
        "/api/v1/users", {"email": student.email.upper(), "username": student.username.upper()}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "email": ["A user with this email already exists."],
        "username": ["A user with this username already exists."],
    }
    assert User.objects.count() == 2
    assert not AuditLog.objects.exists()


# --- retrieve and update ------------------------------------------------------------------


def test_retrieve(staff_client, student):
    response = staff_client.get(f"/api/v1/users/{student.pk}")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["email"]) == (student.pk, student.email)


@pytest.mark.parametrize("user_id", ["999999", "abc"])
@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("patch", "", {"first_name": "X"}),
        ("delete", "", None),
        ("post", "/suspend", {"reason": "spam"}),
        ("post", "/reactivate", {}),
    ],
)
def test_unknown_user_is_a_404_error_body(staff_client, method, suffix, data, user_id):
    before = AuditLog.objects.count()

    response = getattr(staff_client, method)(f"/api/v1/users/{user_id}{suffix}", data)

    assert response.status_code == 404
    assert response.json() == {"status_code": 404, "code": "not_found", "message": "Not found."}
    assert AuditLog.objects.count() == before


def test_deleted_user_is_404(staff_client, student):
    User.objects.filter(pk=student.pk).update(deleted_at="2026-01-01T00:00:00Z")

    assert staff_client.get(f"/api/v1/users/{student.pk}").status_code == 404


@pytest.mark.parametrize(
    ("role", "is_staff"), [("admin", True), ("mentor", False), ("student", False)]
)
def test_patch_role_keeps_is_staff_in_sync(staff_client, staff, role, is_staff):
    target = AdminFactory() if role != "admin" else StudentFactory()
    before_role = target.role

    response = staff_client.patch(f"/api/v1/users/{target.pk}", {"role": role})

    assert response.status_code == 200
    assert response.json()["role"] == role
    target.refresh_from_db()
    assert (target.role, target.is_staff) == (role, is_staff)
    entry = AuditLog.objects.get(action="user.update")
    assert entry.actor == staff
    assert (entry.before["role"], entry.after["role"]) == (before_role, role)


def test_patch_profile_fields(staff_client, student):
    response = staff_client.patch(
        f"/api/v1/users/{student.pk}",
        {"email": "New@Example.com", "tier": "pro", "lms_user_id": "lms-7", "last_name": "Z"},
    )

    assert response.status_code == 200
    student.refresh_from_db()
    assert (student.email, student.tier, student.lms_user_id, student.last_name) == (
        "new@example.com",
        "pro",
        "lms-7",
        "Z",
    )


def test_patch_duplicate_email_is_refused(staff_client, student, other_student):
    before = user_state(student.pk)

    response = staff_client.patch(
        f"/api/v1/users/{student.pk}", {"email": other_student.email.upper()}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["A user with this email already exists."]}
    assert user_state(student.pk) == before
    assert not AuditLog.objects.exists()


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/users"),
        ("patch", "/api/v1/users/{id}"),
        ("post", "/api/v1/users/{id}/suspend"),
        ("post", "/api/v1/users/{id}/reactivate"),
        ("delete", "/api/v1/users/{id}"),
    ],
)
def test_malformed_json_is_a_parse_error(staff_client, student, method, path):
    before = (User.objects.count(), user_state(student.pk))

    response = getattr(staff_client, method)(
        path.format(id=student.pk), '{"email": ', content_type="application/json"
    )

    assert response.status_code == 400
    body = response.json()
    assert (body["status_code"], body["code"]) == (400, "parse_error")
    assert body["message"].startswith("JSON parse error")
    assert (User.objects.count(), user_state(student.pk)) == before
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"first_name": {"a": 1}, "last_name": ["x"]}, {"first_name", "last_name"}),
        ({"role": 5, "tier": None}, {"role", "tier"}),
        ({"email": "not-an-email", "username": "has space"}, {"email", "username"}),
        ({"first_name": "x" * 151, "lms_user_id": "x" * 65}, {"first_name", "lms_user_id"}),
        ({"email": "x" * 250 + "@example.com", "username": "u" * 151}, {"email", "username"}),
        ({"first_name": "nul\x00byte"}, {"first_name"}),
        ({"role": True}, {"role"}),
    ],
)
def test_patch_bad_input_is_400_and_changes_nothing(staff_client, student, data, fields):
    before = user_state(student.pk)

    response = staff_client.patch(f"/api/v1/users/{student.pk}", data)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == fields
    assert user_state(student.pk) == before
    assert not AuditLog.objects.exists()


def test_patch_with_a_list_body_is_400(staff_client, student):
    before = user_state(student.pk)

    response = staff_client.patch(f"/api/v1/users/{student.pk}", [], format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    assert user_state(student.pk) == before


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({}, {"email", "username"}),
        ({"email": 5, "username": ["u"]}, {"email", "username"}),
        ({"email": "a@example.com", "username": "a", "role": "wizard"}, {"role"}),
        ({"email": "a@example.com", "username": "a", "password": "123"}, {"password"}),
        ({"email": "a@example.com", "username": "a", "password": "p" * 129}, {"password"}),
        ({"email": "a@example.com", "username": "a", "last_name": "x" * 151}, {"last_name"}),
    ],
)
def test_create_bad_input_is_400_and_creates_nothing(staff_client, data, fields):
    response = staff_client.post("/api/v1/users", data)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == fields
    assert User.objects.count() == 1
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize(
    "data", [{}, {"reason": ""}, {"reason": "x" * 501}, {"reason": {"a": 1}}, {"reason": None}]
)
def test_suspend_needs_a_reason(staff_client, student, data):
    before = user_state(student.pk)

    response = staff_client.post(f"/api/v1/users/{student.pk}/suspend", data)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"reason"}
    assert user_state(student.pk) == before
    assert not AuditLog.objects.exists()


# --- delete -------------------------------------------------------------------------------


def test_delete_anonymises_revokes_and_audits(staff_client, staff):
    user = StudentFactory(email="leaving@example.com", first_name="Lea", lms_user_id="lms-1")
    pair = login(user)
    credential_store(user=user, provider="canvas", access_token="canvas-token-123456")
    SocialAccount.objects.create(user=user, provider="google", uid="g-1")
    deleted = []
    signals.user_deleted.connect(
        lambda sender, user, **kw: deleted.append(user.pk), weak=False, dispatch_uid="t-del"
    )
    try:
        response = staff_client.delete(f"/api/v1/users/{user.pk}", {"reason": "GDPR request"})
    finally:
        signals.user_deleted.disconnect(dispatch_uid="t-del")

    assert response.status_code == 204
    user.refresh_from_db()
    assert (user.email, user.username, user.first_name, user.last_name, user.lms_user_id) == (
        f"deleted-{user.pk}@deleted.invalid",
        f"deleted-{user.pk}",
        "",
        "",
        "",
    )
    assert not user.is_active
    assert user.deleted_at is not None
    assert not user.has_usable_password()
    assert not Credential.objects.filter(user=user).exists()
    assert not SocialAccount.objects.filter(user=user).exists()
    assert deleted == [user.pk]
    assert me_with(pair["access"]).status_code == 401
    assert refresh_with(pair["refresh"]).status_code == 401
    entry = AuditLog.objects.get(action="user.delete")
    assert (entry.actor, entry.reason, entry.before) == (
        staff,
        "GDPR request",
        {"role": "student", "tier": "free", "is_active": True},
    )
    assert staff_client.get(f"/api/v1/users/{user.pk}").status_code == 404
    assert staff_client.get("/api/v1/users").json()["count"] == 1


def test_staff_cannot_delete_themselves(staff_client, staff):
    before = user_state(staff.pk)

    response = staff_client.delete(f"/api/v1/users/{staff.pk}")

    assert response.status_code == 409
    assert response.json()["code"] == "cannot_delete_self"
    assert user_state(staff.pk) == before
    assert not AuditLog.objects.exists()


# --- suspend and reactivate ---------------------------------------------------------------


def test_suspend_revokes_tokens_at_once_and_audits(staff_client, staff, student):
    pair = login(student)
    assert me_with(pair["access"]).status_code == 200

    response = staff_client.post(f"/api/v1/users/{student.pk}/suspend", {"reason": "Spamming"})

    assert response.status_code == 200
    body = response.json()
    assert (body["is_active"], body["suspension_reason"]) == (False, "Spamming")
    assert body["suspended_at"] is not None
    refused = me_with(pair["access"])
    assert refused.status_code == 403
    assert refused.json() == {
        "status_code": 403,
        "code": "account_suspended",
        "message": "This account is suspended.",
    }
    assert refresh_with(pair["refresh"]).status_code == 401
    login_again = APIClient().post(
        "/api/v1/auth/login", {"email": student.email, "password": PASSWORD}
    )
    assert login_again.json()["code"] == "account_suspended"
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor, entry.target_type, entry.target_id, entry.reason) == (
        "user.suspend",
        staff,
        "accounts.user",
        str(student.pk),
        "Spamming",
    )
    assert (entry.before["is_active"], entry.after["is_active"]) == (True, False)


def test_suspend_twice_is_a_conflict(staff_client, student):
    staff_client.post(f"/api/v1/users/{student.pk}/suspend", {"reason": "first"})
    before = user_state(student.pk)

    response = staff_client.post(f"/api/v1/users/{student.pk}/suspend", {"reason": "second"})

    assert response.status_code == 409
    assert response.json() == {
        "status_code": 409,
        "code": "already_suspended",
        "message": "The user is already suspended.",
    }
    assert user_state(student.pk) == before
    assert AuditLog.objects.count() == 1


def test_staff_cannot_suspend_themselves(staff_client, staff):
    before = user_state(staff.pk)

    response = staff_client.post(f"/api/v1/users/{staff.pk}/suspend", {"reason": "oops"})

    assert response.status_code == 409
    assert response.json()["code"] == "cannot_suspend_self"
    assert user_state(staff.pk) == before


def test_reactivate_restores_login_but_not_old_tokens(staff_client, staff, student):
    pair = login(student)
    staff_client.post(f"/api/v1/users/{student.pk}/suspend", {"reason": "Spamming"})

    response = staff_client.post(
        f"/api/v1/users/{student.pk}/reactivate", {"reason": "Appeal accepted"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["is_active"], body["suspended_at"], body["suspension_reason"]) == (True, None, "")
    assert me_with(pair["access"]).json()["code"] == "token_revoked"
    assert me_with(login(student)["access"]).status_code == 200
    entry = AuditLog.objects.get(action="user.reactivate")
    assert (entry.actor, entry.reason) == (staff, "Appeal accepted")
    assert (entry.before["is_active"], entry.after["is_active"]) == (False, True)


def test_reactivate_an_active_user_is_a_conflict(staff_client, student):
    before = user_state(student.pk)

    response = staff_client.post(f"/api/v1/users/{student.pk}/reactivate")

    assert response.status_code == 409
    assert response.json()["code"] == "not_suspended"
    assert user_state(student.pk) == before
    assert not AuditLog.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_suspensions_suspend_once():
    staff_users = AdminFactory.create_batch(2)
    target = StudentFactory()
    barrier = threading.Barrier(2)
    statuses = []

    def suspend(actor):
        try:
            client = client_for(actor)
            barrier.wait()
            response = client.post(f"/api/v1/users/{target.pk}/suspend", {"reason": actor.email})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=suspend, args=(actor,)) for actor in staff_users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 409]
    assert AuditLog.objects.filter(action="user.suspend").count() == 1
    target.refresh_from_db()
    assert target.token_version == 1


# --- permissions --------------------------------------------------------------------------

SUSPENDED = {"is_active": False, "suspended_at": "2026-01-01T00:00:00Z", "suspension_reason": "r"}
USERS_ENDPOINTS = [
    # method, path, body, how the target user starts, staff's status
    ("get", "/api/v1/users", None, {}, 200),
    ("post", "/api/v1/users", {"email": "n@example.com", "username": "n"}, {}, 201),
    ("get", "/api/v1/users/{id}", None, {}, 200),
    ("patch", "/api/v1/users/{id}", {"role": "admin", "first_name": "Changed"}, {}, 200),
    ("delete", "/api/v1/users/{id}", {"reason": "r"}, {}, 204),
    ("post", "/api/v1/users/{id}/suspend", {"reason": "r"}, {}, 200),
    ("post", "/api/v1/users/{id}/reactivate", {"reason": "r"}, SUSPENDED, 200),
]
CALLERS = {
    "anonymous": APIClient,
    "student": lambda: client_for(StudentFactory()),
    "mentor": lambda: client_for(MentorFactory()),
    "staff": lambda: client_for(AdminFactory()),
}


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("student", 403, "permission_denied"),
        ("mentor", 403, "permission_denied"),
    ],
)
@pytest.mark.parametrize(("method", "path", "data", "target_state", "_"), USERS_ENDPOINTS)
def test_users_endpoints_refuse_non_staff_and_change_nothing(
    role, status, code, method, path, data, target_state, _
):
    target = StudentFactory(**target_state)
    client = CALLERS[role]()
    before = (User.objects.count(), user_state(target.pk), AuditLog.objects.count())

    response = getattr(client, method)(path.format(id=target.pk), data)

    assert response.status_code == status
    assert (response.json()["status_code"], response.json()["code"]) == (status, code)
    assert (User.objects.count(), user_state(target.pk), AuditLog.objects.count()) == before
    assert mail.outbox == []


@pytest.mark.parametrize(("method", "path", "data", "target_state", "status"), USERS_ENDPOINTS)
def test_users_endpoints_serve_staff(method, path, data, target_state, status):
    target = StudentFactory(**target_state)

    response = getattr(CALLERS["staff"](), method)(path.format(id=target.pk), data)

    assert response.status_code == status

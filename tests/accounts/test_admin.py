"""Django admin for users: search, filters, suspend/reactivate actions, adding users."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail

from accounts import signals
from accounts.models import AuditLog, User
from accounts.services import user_suspend
from tests.accounts.factories import PASSWORD, AdminFactory, MentorFactory, StudentFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def superuser():
    return AdminFactory(is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def run_action(admin_client, action: str, users, reason: str = ""):
    return admin_client.post(
        CHANGELIST,
        {
            "action": action,
            "_selected_action": [user.pk for user in users],
            "reason": reason,
            "index": 0,
        },
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def login_status(user) -> int:
    from rest_framework.test import APIClient

    return (
        APIClient()
        .post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
        .status_code
    )


def test_suspend_action_suspends_with_reason_and_audits(admin_client, superuser):
    users = [StudentFactory(), MentorFactory()]

    response = run_action(admin_client, "suspend_users", users, reason="Chargeback fraud")

    assert response.status_code == 302
    assert messages_of(response) == ["Suspended 2 user(s)."]
    for user in users:
        user.refresh_from_db()
        assert (user.is_active, user.suspension_reason) == (False, "Chargeback fraud")
        assert user.suspended_at is not None
        assert user.token_version == 1
        assert login_status(user) == 403
    entries = AuditLog.objects.filter(action="user.suspend")
    assert {(e.actor_id, e.target_id, e.reason) for e in entries} == {
        (superuser.pk, str(user.pk), "Chargeback fraud") for user in users
    }


def test_suspend_action_without_reason_changes_nothing(admin_client):
    user = StudentFactory()

    response = run_action(admin_client, "suspend_users", [user], reason="  ")

    assert messages_of(response) == ["A reason is required to suspend."]
    user.refresh_from_db()
    assert (user.is_active, user.suspended_at, user.token_version) == (True, None, 0)
    assert not AuditLog.objects.exists()


def test_suspend_action_reports_users_it_skips(admin_client, superuser):
    already = StudentFactory()
    user_suspend(user=already, acting_user=superuser, reason="first")
    fresh = StudentFactory()

    response = run_action(admin_client, "suspend_users", [superuser, already, fresh], reason="x")

    assert messages_of(response) == [
        f"{superuser}: You cannot suspend yourself.",
        f"{already}: The user is already suspended.",
        "Suspended 1 user(s).",
    ]
    superuser.refresh_from_db()
    assert superuser.is_active
    assert AuditLog.objects.filter(action="user.suspend").count() == 2


def test_reason_longer_than_500_is_refused(admin_client):
    user = StudentFactory()

    response = run_action(admin_client, "suspend_users", [user], reason="x" * 501)

    assert response.status_code == 302
    assert messages_of(response) == ["No action selected."]  # Django: the action form is invalid
    user.refresh_from_db()
    assert user.is_active
    assert not AuditLog.objects.exists()


def test_reactivate_action(admin_client, superuser):
    user = StudentFactory()
    user_suspend(user=user, acting_user=superuser, reason="Spam")
    active = StudentFactory()

    response = run_action(admin_client, "reactivate_users", [user, active], reason="Appeal")

    assert messages_of(response) == [
        f"{active}: The user is not suspended.",
        "Reactivated 1 user(s).",
    ]
    user.refresh_from_db()
    assert (user.is_active, user.suspended_at, user.suspension_reason) == (True, None, "")
    assert login_status(user) == 200
    entry = AuditLog.objects.get(action="user.reactivate")
    assert (entry.actor, entry.target_id, entry.reason) == (superuser, str(user.pk), "Appeal")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=ada%40", ["ada@example.com"]),
        ("?role__exact=mentor", ["mina@example.com"]),
        ("?is_active__exact=0", ["sus@example.com"]),
    ],
)
def test_changelist_search_and_filters(admin_client, query, expected):
    StudentFactory(email="ada@example.com")
    MentorFactory(email="mina@example.com")
    StudentFactory(email="sus@example.com", is_active=False)

    response = admin_client.get(CHANGELIST + query)

    assert response.status_code == 200
    shown = [u.email for u in response.context["cl"].result_list]
    assert shown == expected


def test_non_staff_cannot_reach_the_admin(client):
    user = StudentFactory()
    client.force_login(user)

    response = run_action(client, "suspend_users", [user], reason="x")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    user.refresh_from_db()
    assert user.is_active


def test_adding_a_user_goes_through_user_create(
    admin_client, superuser, django_capture_on_commit_callbacks
):
    created = []
    signals.user_created.connect(
        lambda sender, user, **kw: created.append(user.email), weak=False, dispatch_uid="t-add"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/accounts/user/add/",
                {
                    "email": "new@example.com",
                    "username": "newbie",
                    "usable_password": "true",
                    "password1": "A-strong-passphrase-1",
                    "password2": "A-strong-passphrase-1",
                },
            )
    finally:
        signals.user_created.disconnect(dispatch_uid="t-add")

    user = User.objects.get(username="newbie")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{user.pk}/change/"
    assert user.check_password("A-strong-passphrase-1")
    assert (user.role, user.is_staff) == ("student", False)
    assert created == ["new@example.com"]
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert AuditLog.objects.get(action="user.create").actor == superuser


def test_adding_a_user_with_an_email_taken_in_another_case_is_a_form_error(admin_client):
    StudentFactory(email="ada@example.com")

    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"email": "ADA@Example.com", "username": "ada2", "usable_password": "false"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "email": ["A user with this email already exists."]
    }
    assert not User.objects.filter(username="ada2").exists()
    assert not AuditLog.objects.exists()

"""DELETE /api/v1/auth/me: a user closes their own account. Personal data is anonymised,
every token and stored credential revoked, every app's running work stopped and paid back;
the ledger and attendance rows stay, so their totals keep adding up."""

import io
import json
import threading
from datetime import date

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command
from django.db import connection
from freezegun import freeze_time
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditLog, Credential, Notification, OutgoingEmail, User
from accounts.tokens import token_pair_for
from attendance.models import DailyAttendance
from config.celery import app as celery_app
from config.errors import Conflict
from courses.models import Enrollment
from credits.models import CreditAccount, CreditHold, CreditTransaction
from credits.selectors import ledger_mismatches
from jobs import services as jobs_services
from jobs import tasks as job_tasks
from jobs.models import Job, Project, YouTubeOAuthState, YouTubeUpload
from jobs.processors import JobSuperseded
from jobs.services import ProgressReporter
from mentoring.models import AvailabilityWindow, MentorProfile, Session
from tests.accounts.factories import PASSWORD, AdminFactory, MentorFactory, StudentFactory
from tests.attendance.factories import DailyAttendanceFactory
from tests.conftest import client_for
from tests.courses.factories import EnrollmentFactory
from tests.jobs.factories import ProjectFactory, UploadFactory, give_credits
from tests.mentoring.factories import (
    AvailabilityWindowFactory,
    MentorProfileFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/me"


@pytest.fixture(autouse=True)
def revoked(monkeypatch):
    """Celery task ids revoked through the broker (recorded, not sent)."""
    calls: list[str] = []
    monkeypatch.setattr(celery_app.control, "revoke", lambda task_id, **kw: calls.append(task_id))
    return calls


def login(user, password: str = PASSWORD):
    return APIClient().post("/api/v1/auth/login", {"email": user.email, "password": password})


def client_with(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def delete_me(client: APIClient, body: dict | None = None, **extra):
    return client.delete(URL, body if body is not None else {}, format="json", **extra)


def held(user) -> int:
    return CreditAccount.objects.get(user=user).held


def everything_of(user) -> dict:
    """What a refused deletion must leave exactly as it was."""
    return {
        "user": User.objects.filter(pk=user.pk).values().get(),
        "credentials": Credential.objects.filter(user=user).count(),
        "social": SocialAccount.objects.filter(user=user).count(),
        "jobs": list(Job.objects.filter(user=user).order_by("pk").values_list("status")),
        "sessions": list(Session.objects.filter(student=user).values_list("status")),
        "enrollments": list(Enrollment.objects.filter(user=user).values_list("status")),
        "held": held(user),
        "audit": AuditLog.objects.count(),
    }


@pytest.fixture
def leaving():
    """A student with work in every app: queued and processing jobs and an approved film
    holding credits, a pending upload, upcoming sessions holding credits, an enrollment,
    attendance, stored credentials, a social login and an inbox."""
    user = StudentFactory(email="leaving@example.com", first_name="Lea", lms_user_id="lms-7")
    give_credits(user, 100)
    project = ProjectFactory(owner=user, title="My film")
    queued = jobs_services.job_create(
        user=user, project_id=project.pk, job_type="script_analysis", parameters={}
    )
    running = jobs_services.job_create(
        user=user, project_id=project.pk, job_type="script_analysis", parameters={}
    )
    Job.objects.filter(pk=running.pk).update(status=Job.Status.PROCESSING, attempts=1)
    film = ProjectFactory(owner=user, title="Approved film", status=Project.Status.PENDING_REVIEW)
    _, generation = jobs_services.project_approve(project=film, acting_user=AdminFactory())
    UploadFactory(project=project)
    YouTubeOAuthState.objects.create(user=user, state="state-1", code_verifier="v" * 64)
    requested = SessionFactory(student=user)
    confirmed = SessionFactory(student=user, status=Session.Status.CONFIRMED)
    EnrollmentFactory(user=user)
    DailyAttendanceFactory(user=user, date=date(2026, 1, 5), total_seconds=700)
    services.credential_store(user=user, provider="canvas", access_token="canvas-token-123456")
    SocialAccount.objects.create(user=user, provider="google", uid="g-7")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    services.notify(user=user, type=Notification.Type.WELCOME)
    for job in (queued, running, generation):  # as dispatching them would have
        Job.objects.filter(pk=job.pk).update(celery_task_id=f"task-{job.pk}")
    user.jobs = [queued, running, generation]
    user.sessions = [requested, confirmed]
    return user


def test_closing_the_account_anonymises_revokes_and_stops_everything(
    leaving, revoked, django_capture_on_commit_callbacks, mailoutbox
):
    user = leaving
    pair = login(user).json()
    transactions_before = CreditTransaction.objects.filter(account__user=user).count()
    attendance_before = list(DailyAttendance.objects.filter(user=user).values())
    assert held(user) > 0
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = delete_me(client_with(pair["access"]), {"password": PASSWORD})

    assert response.status_code == 204
    user.refresh_from_db()
    assert (user.email, user.username, user.first_name, user.last_name, user.lms_user_id) == (
        f"deleted-{user.pk}@deleted.invalid",
        f"deleted-{user.pk}",
        "",
        "",
        "",
    )
    assert (user.is_active, user.deleted_at is not None, user.has_usable_password()) == (
        False,
        True,
        False,
    )
    # sign-in methods, stored credentials and the inbox are gone
    assert not Credential.objects.filter(user=user).exists()
    assert not SocialAccount.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    assert not OutgoingEmail.objects.filter(user=user).exists()
    # running work stopped, its credits given back
    assert [Job.objects.get(pk=job.pk).status for job in user.jobs] == ["cancelled"] * 3
    assert sorted(revoked) == sorted(f"task-{job.pk}" for job in user.jobs)
    assert not Project.objects.filter(owner=user, deleted_at__isnull=True).exists()
    assert Project.objects.get(title="Approved film").status == Project.Status.FAILED
    assert YouTubeUpload.objects.get(user=user).status == YouTubeUpload.Status.FAILED
    assert not YouTubeOAuthState.objects.filter(user=user).exists()
    assert [Session.objects.get(pk=s.pk).status for s in user.sessions] == ["cancelled"] * 2
    assert held(user) == 0
    assert not CreditHold.objects.filter(account__user=user, status="open").exists()
    assert Enrollment.objects.get(user=user).status == Enrollment.Status.DROPPED
    # the ledger and attendance stay, and still add up
    assert CreditTransaction.objects.filter(account__user=user).count() > transactions_before
    assert list(DailyAttendance.objects.filter(user=user).values()) == attendance_before
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert "Ledger balanced" in out.getvalue()
    # the old credentials and tokens are worthless
    assert login(user, PASSWORD).status_code == 401
    assert (
        APIClient()
        .post("/api/v1/auth/login", {"email": "leaving@example.com", "password": PASSWORD})
        .json()["code"]
        == "invalid_credentials"
    )
    assert client_with(pair["access"]).get(URL).status_code == 401
    assert APIClient().post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401
    # audited, without personal data; the other side of each session was told, not the user
    entry = AuditLog.objects.get(action="user.delete")
    assert (entry.actor_id, entry.target_id, entry.before) == (
        user.pk,
        str(user.pk),
        {"role": "student", "tier": "free", "is_active": True},
    )
    assert "leaving@example.com" not in [m.to[0] for m in mailoutbox]


def test_a_processing_jobs_worker_finds_its_run_superseded(leaving):
    running = leaving.jobs[1]

    delete_me(client_for(leaving), {"password": PASSWORD})

    with pytest.raises(JobSuperseded):
        ProgressReporter(job_id=running.pk, attempt=1)(50)
    assert Job.objects.get(pk=running.pk).status == Job.Status.CANCELLED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "password"),
        ({"password": ""}, "password"),
        ({"password": "wrong-password"}, "password"),
        ({"password": "p" * 129}, "password"),
        ({"password": None}, "password"),
    ],
)
def test_a_missing_or_wrong_password_is_400_and_changes_nothing(leaving, body, field):
    client = client_for(leaving)
    before = everything_of(leaving)

    response = delete_me(client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == {field}
    assert everything_of(leaving) == before
    assert client.get(URL).status_code == 200


def test_wrong_passwords_count_towards_the_login_lockout(settings, student):
    settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES = 3
    settings.LOGIN_LOCKOUT_IP_FAILURES = 100
    client = client_for(student)

    statuses = [delete_me(client, {"password": "guess"}).status_code for _ in range(3)]

    assert statuses == [400, 400, 400]
    locked = delete_me(client, {"password": PASSWORD})
    assert (locked.status_code, locked.json()["code"]) == (429, "too_many_login_attempts")
    assert int(locked["Retry-After"]) > 0
    assert login(student).status_code == 429
    student.refresh_from_db()
    assert student.deleted_at is None


def test_a_right_password_clears_the_failures_it_follows(settings, student):
    settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES = 3
    client = client_for(student)
    delete_me(client, {"password": "guess"})
    delete_me(client, {"password": "guess"})

    assert delete_me(client, {"password": PASSWORD}).status_code == 204


def test_a_retry_changes_nothing_more(leaving):
    client = client_for(leaving)
    assert delete_me(client, {"password": PASSWORD}).status_code == 204
    transactions = list(CreditTransaction.objects.order_by("pk").values_list("pk", flat=True))

    again = delete_me(client, {"password": PASSWORD})

    assert again.status_code == 401
    leaving.refresh_from_db()
    with pytest.raises(Conflict):
        services.account_delete(user=leaving, password=PASSWORD)
    assert jobs_services.work_cancel_for_closed_account(user=leaving).jobs_cancelled == 0
    assert list(CreditTransaction.objects.order_by("pk").values_list("pk", flat=True)) == (
        transactions
    )
    assert AuditLog.objects.filter(action="user.delete").count() == 1
    assert ledger_mismatches() == []


def test_a_closing_mentor_is_unlisted_and_their_profile_emptied(student):
    mentor = MentorFactory()
    profile = MentorProfileFactory(user=mentor, headline="Django mentor", bio="I love Django")
    profile.expertise.create(name="django")
    AvailabilityWindowFactory(mentor=profile)
    booked = SessionFactory(mentor=mentor, student=student)
    assert client_for(student).get(f"/api/v1/mentors/{mentor.pk}").status_code == 200

    assert delete_me(client_for(mentor), {"password": PASSWORD}).status_code == 204

    profile = MentorProfile.objects.get(user=mentor)
    assert (profile.headline, profile.bio, profile.is_available) == ("", "", False)
    assert not profile.expertise.exists()
    assert not AvailabilityWindow.objects.filter(mentor=profile).exists()
    assert Session.objects.get(pk=booked.pk).status == Session.Status.CANCELLED
    assert held(student) == 0
    assert client_for(student).get(f"/api/v1/mentors/{mentor.pk}").status_code == 404


def test_earlier_audit_records_stop_naming_the_user(staff_client, student):
    staff_client.patch(f"/api/v1/users/{student.pk}", {"email": "renamed@example.com"})
    staff_client.post(f"/api/v1/users/{student.pk}/suspend", {"reason": "Checking"})
    staff_client.post(f"/api/v1/users/{student.pk}/reactivate", {"reason": "Checked"})
    old_email = student.email
    student.refresh_from_db()

    assert delete_me(client_for(student), {"password": PASSWORD}).status_code == 204

    records = json.dumps(list(AuditLog.objects.values("before", "after")))
    assert old_email not in records
    assert "renamed@example.com" not in records
    assert AuditLog.objects.filter(target_id=str(student.pk)).count() == 4
    assert f"deleted-{student.pk}@deleted.invalid" in records


def test_staff_deleting_another_account_needs_no_password(staff_client):
    """Staff deletion (DELETE /users/{id}) stays as it was: another user's account, no
    password, audited with the staff member as actor."""
    user = StudentFactory()

    response = staff_client.delete(f"/api/v1/users/{user.pk}", {"reason": "Asked by email"})

    assert response.status_code == 204
    entry = AuditLog.objects.get(action="user.delete")
    assert (entry.actor_id, entry.reason) == (staff_client.user.pk, "Asked by email")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deletes_close_the_account_once(monkeypatch):
    monkeypatch.setattr(job_tasks.job_run_task, "apply_async", lambda *a, **kw: None)
    user = StudentFactory()
    give_credits(user, 20)
    project = ProjectFactory(owner=user)
    job = jobs_services.job_create(
        user=user, project_id=project.pk, job_type="script_analysis", parameters={}
    )
    client = client_for(user)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def close() -> None:
        try:
            barrier.wait()
            statuses.append(delete_me(client, {"password": PASSWORD}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) in ([204, 401], [204, 409])
    assert Job.objects.get(pk=job.pk).status == Job.Status.CANCELLED
    assert AuditLog.objects.filter(action="user.delete").count() == 1
    assert CreditTransaction.objects.filter(account__user=user, kind="release").count() == 1
    assert held(user) == 0
    assert ledger_mismatches() == []


# --- accounts without a password (social sign-in only) --------------------------------------


@pytest.fixture
def social_only():
    user = StudentFactory(email="gh@example.com")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def test_a_social_only_account_closes_with_its_email_after_a_recent_sign_in(social_only):
    pair = token_pair_for(social_only)  # what a social sign-in hands out
    response = client_with(pair["access"]).delete(
        URL, {"confirm_email": "GH@example.com"}, format="json"
    )
    assert response.status_code == 204, response.content
    social_only.refresh_from_db()
    assert social_only.deleted_at is not None


@pytest.mark.parametrize("body", [{}, {"confirm_email": "other@example.com"}, {"password": "x"}])
def test_a_social_only_account_needs_its_email_typed(social_only, body):
    pair = token_pair_for(social_only)
    response = client_with(pair["access"]).delete(URL, body, format="json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["confirm_email"])
    social_only.refresh_from_db()
    assert social_only.deleted_at is None


def test_a_refreshed_token_does_not_count_as_a_recent_sign_in(social_only, settings):
    settings.ACCOUNT_DELETE_REAUTH_SECONDS = 600
    with freeze_time("2026-01-01 10:00:00"):
        old = token_pair_for(social_only)
    with freeze_time("2026-01-01 10:20:00"):
        refreshed = services.tokens_refresh(refresh=old["refresh"])
        response = client_with(refreshed["access"]).delete(
            URL, {"confirm_email": social_only.email}, format="json"
        )
    assert (response.status_code, response.json()["code"]) == (403, "reauthentication_required")
    social_only.refresh_from_db()
    assert social_only.deleted_at is None

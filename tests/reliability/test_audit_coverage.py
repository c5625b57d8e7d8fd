"""Every staff action, through the API and through Django admin, writes an audit record
(actor, action, target, reason) that the audit log's admin changelist lists."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db.models import Model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditLog, User
from attendance.models import AttendanceDay
from courses.models import Course
from jobs.models import Job, Project
from mentoring.models import Session
from tests.accounts.factories import AdminFactory, StudentFactory
from tests.attendance.factories import DailyAttendanceFactory
from tests.conftest import client_for
from tests.courses.factories import CourseFactory
from tests.jobs.factories import JobFactory, ProjectFactory, give_credits
from tests.mentoring.factories import SessionFactory
from tests.videos.factories import TopicFactory
from videos.models import Topic

pytestmark = pytest.mark.django_db

AUDIT_CHANGELIST = "/admin/accounts/auditlog/"


@dataclass
class Staff:
    user: User
    api: APIClient
    admin: Client


@dataclass(frozen=True)
class Expected:
    action: str
    target: Model
    reason: str


@pytest.fixture
def staff() -> Staff:
    user = AdminFactory(is_superuser=True)
    admin = Client()
    admin.force_login(user)
    return Staff(user=user, api=client_for(user), admin=admin)


def run_action(staff: Staff, changelist: str, action: str, objects, **fields) -> None:
    response = staff.admin.post(
        changelist,
        {"action": action, "_selected_action": [obj.pk for obj in objects], "index": 0, **fields},
    )
    assert response.status_code == 302, response.content.decode()[:500]


def ok(response, status: int = 200) -> None:
    assert response.status_code == status, response.content.decode()[:500]


# --- credits --------------------------------------------------------------------------------


def grant_via_api(staff: Staff) -> Expected:
    user = StudentFactory()
    body = {"user_id": user.pk, "amount": 5, "reason": "Goodwill", "idempotency_key": "k1"}
    ok(staff.api.post("/api/v1/credits/grant", body), 201)
    return Expected("credits.grant", user, "Goodwill")


def adjust_via_api(staff: Staff) -> Expected:
    user = StudentFactory()
    give_credits(user, 10)
    body = {"user_id": user.pk, "amount": 4, "reason": "Double charge", "idempotency_key": "k2"}
    ok(staff.api.post("/api/v1/credits/adjust", body), 201)
    return Expected("credits.adjustment", user, "Double charge")


def grant_via_admin(staff: Staff) -> Expected:
    user = StudentFactory()
    run_action(
        staff,
        "/admin/accounts/user/",
        "grant_credits",
        [user],
        amount=3,
        reason="Contest prize",
        idempotency_key=uuid.uuid4().hex,
    )
    return Expected("credits.grant", user, "Contest prize")


def adjust_via_admin(staff: Staff) -> Expected:
    user = StudentFactory()
    give_credits(user, 10)
    run_action(
        staff,
        "/admin/accounts/user/",
        "adjust_credits",
        [user],
        amount=2,
        reason="Refunded elsewhere",
        idempotency_key=uuid.uuid4().hex,
    )
    return Expected("credits.adjustment", user, "Refunded elsewhere")


# --- users ----------------------------------------------------------------------------------


def suspend_via_api(staff: Staff) -> Expected:
    user = StudentFactory()
    ok(staff.api.post(f"/api/v1/users/{user.pk}/suspend", {"reason": "Spam"}))
    return Expected("user.suspend", user, "Spam")


def suspend_via_admin(staff: Staff) -> Expected:
    user = StudentFactory()
    run_action(staff, "/admin/accounts/user/", "suspend_users", [user], reason="Chargeback")
    return Expected("user.suspend", user, "Chargeback")


def reactivate_via_api(staff: Staff) -> Expected:
    user = StudentFactory()
    ok(staff.api.post(f"/api/v1/users/{user.pk}/suspend", {"reason": "Spam"}))
    ok(staff.api.post(f"/api/v1/users/{user.pk}/reactivate", {"reason": "Appeal upheld"}))
    return Expected("user.reactivate", user, "Appeal upheld")


def reactivate_via_admin(staff: Staff) -> Expected:
    user = StudentFactory()
    run_action(staff, "/admin/accounts/user/", "suspend_users", [user], reason="Spam")
    run_action(staff, "/admin/accounts/user/", "reactivate_users", [user], reason="Cleared")
    return Expected("user.reactivate", user, "Cleared")


def create_via_api(staff: Staff) -> Expected:
    body = {"email": "new@example.com", "username": "new", "password": "a-long-password-1"}
    ok(staff.api.post("/api/v1/users", body), 201)
    return Expected("user.create", User.objects.get(email="new@example.com"), "")


def update_via_api(staff: Staff) -> Expected:
    user = StudentFactory()
    ok(staff.api.patch(f"/api/v1/users/{user.pk}", {"tier": "pro"}))
    return Expected("user.update", user, "")


def update_via_admin_form(staff: Staff) -> Expected:
    user = StudentFactory()
    joined = timezone.localtime(user.date_joined)
    form = {
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": "mentor",
        "tier": "pro",
        "lms_user_id": "",
        "is_active": "on",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
    }
    ok(staff.admin.post(f"/admin/accounts/user/{user.pk}/change/", form), 302)
    return Expected("user.update", user, "")


def delete_via_api(staff: Staff) -> Expected:
    user = StudentFactory()
    ok(staff.api.delete(f"/api/v1/users/{user.pk}", {"reason": "GDPR request"}), 204)
    return Expected("user.delete", user, "GDPR request")


def delete_via_admin(staff: Staff) -> Expected:
    user = StudentFactory()
    run_action(staff, "/admin/accounts/user/", "delete_users", [user], reason="Asked by email")
    return Expected("user.delete", user, "Asked by email")


# --- moderation -----------------------------------------------------------------------------


def pending_project() -> Project:
    project = ProjectFactory(status=Project.Status.PENDING_REVIEW)
    give_credits(project.owner, 100)
    return project


def approve_via_api(staff: Staff) -> Expected:
    project = pending_project()
    ok(staff.api.post(f"/api/v1/projects/{project.pk}/approve", {"reason": "Looks fine"}))
    return Expected("project.approve", project, "Looks fine")


def approve_via_admin(staff: Staff) -> Expected:
    project = pending_project()
    run_action(staff, "/admin/jobs/project/", "approve_projects", [project], reason="Great")
    return Expected("project.approve", project, "Great")


def reject_via_api(staff: Staff) -> Expected:
    project = pending_project()
    ok(staff.api.post(f"/api/v1/projects/{project.pk}/reject", {"reason": "Violence"}))
    return Expected("project.reject", project, "Violence")


def reject_via_admin(staff: Staff) -> Expected:
    project = pending_project()
    run_action(staff, "/admin/jobs/project/", "reject_projects", [project], reason="Off topic")
    return Expected("project.reject", project, "Off topic")


def restore_via_api(staff: Staff) -> Expected:
    project = ProjectFactory(deleted_at=timezone.now())
    ok(staff.api.post(f"/api/v1/projects/{project.pk}/restore", {"reason": "Deleted by mistake"}))
    return Expected("project.restore", project, "Deleted by mistake")


def restore_via_admin(staff: Staff) -> Expected:
    project = ProjectFactory(deleted_at=timezone.now())
    run_action(staff, "/admin/jobs/project/", "restore_projects", [project], reason="Owner asked")
    return Expected("project.restore", project, "Owner asked")


def retry_job_via_admin(staff: Staff) -> Expected:
    project = ProjectFactory()
    give_credits(project.owner, 10)
    job = JobFactory(project=project, status=Job.Status.FAILED, credit_cost=1)
    run_action(staff, "/admin/jobs/job/", "retry_jobs", [job])
    return Expected("job.retry", job, "")


# --- attendance -----------------------------------------------------------------------------


def open_row_two_days_ago():
    return DailyAttendanceFactory(date=timezone.localdate() - timedelta(days=2), total_seconds=5)


def finalize_via_api(staff: Staff) -> Expected:
    row = open_row_two_days_ago()
    response = staff.api.post(
        f"/api/v1/attendance/finalize?date={row.date.isoformat()}",
        {"reason": "Beat was down"},
        format="json",
    )
    ok(response)
    return Expected(
        "attendance.day_close", AttendanceDay.objects.get(date=row.date), "Beat was down"
    )


def finalize_via_admin(staff: Staff) -> Expected:
    row = open_row_two_days_ago()
    run_action(staff, "/admin/attendance/dailyattendance/", "close_days", [row], reason="Holiday")
    return Expected("attendance.day_close", AttendanceDay.objects.get(date=row.date), "Holiday")


# --- mentoring and courses ------------------------------------------------------------------


def cancel_session_via_api(staff: Staff) -> Expected:
    session = SessionFactory()
    ok(staff.api.post(f"/api/v1/sessions/{session.pk}/cancel", {"reason": "Mentor is ill"}))
    return Expected("mentoring.session.cancel", session, "Mentor is ill")


def cancel_session_via_admin(staff: Staff) -> Expected:
    session = SessionFactory()
    run_action(staff, "/admin/mentoring/session/", "cancel_sessions", [session])
    return Expected("mentoring.session.cancel", session, "Cancelled by staff.")


def archive_course_via_admin(staff: Staff) -> Expected:
    course = CourseFactory()
    run_action(staff, "/admin/courses/course/", "archive_courses", [course])
    return Expected("course.update", Course.objects.get(pk=course.pk), "")


# --- plain admin forms ----------------------------------------------------------------------


def add_via_admin_form(staff: Staff) -> Expected:
    ok(staff.admin.post("/admin/videos/topic/add/", {"name": "chain rule", "keywords": "[]"}), 302)
    return Expected("admin.add", Topic.objects.get(name="chain rule"), "Added.")


def change_via_admin_form(staff: Staff) -> Expected:
    topic = TopicFactory(name="chain rul")
    form = {"name": "chain rule", "keywords": '["derivative"]'}
    ok(staff.admin.post(f"/admin/videos/topic/{topic.pk}/change/", form), 302)
    return Expected("admin.change", topic, "Changed Name and Keywords.")


def delete_via_admin_form(staff: Staff) -> Expected:
    topic = TopicFactory(name="obsolete")
    ok(staff.admin.post(f"/admin/videos/topic/{topic.pk}/delete/", {"post": "yes"}), 302)
    return Expected("admin.delete", topic, "Deleted obsolete.")


STAFF_ACTIONS: list[Callable[[Staff], Expected]] = [
    grant_via_api,
    adjust_via_api,
    grant_via_admin,
    adjust_via_admin,
    suspend_via_api,
    suspend_via_admin,
    reactivate_via_api,
    reactivate_via_admin,
    create_via_api,
    update_via_api,
    update_via_admin_form,
    delete_via_api,
    delete_via_admin,
    approve_via_api,
    approve_via_admin,
    reject_via_api,
    reject_via_admin,
    restore_via_api,
    restore_via_admin,
    retry_job_via_admin,
    finalize_via_api,
    finalize_via_admin,
    cancel_session_via_api,
    cancel_session_via_admin,
    archive_course_via_admin,
    add_via_admin_form,
    change_via_admin_form,
    delete_via_admin_form,
]


@pytest.mark.parametrize("perform", STAFF_ACTIONS, ids=lambda f: f.__name__)
def test_every_staff_action_is_audited_and_listed_in_admin(staff, perform):
    expected = perform(staff)

    entry = AuditLog.objects.get(
        action=expected.action,
        target_type=expected.target._meta.label_lower,
        target_id=str(expected.target.pk),
    )
    assert (entry.actor, entry.reason) == (staff.user, expected.reason)
    response = staff.admin.get(AUDIT_CHANGELIST, {"action": expected.action})
    assert response.status_code == 200
    assert entry in response.context["cl"].result_list
    assert expected.action in response.content.decode()


def test_the_audit_log_cannot_be_edited_or_deleted_in_admin(staff):
    expected = suspend_via_api(staff)
    entry = AuditLog.objects.get(action=expected.action)

    change = staff.admin.post(f"{AUDIT_CHANGELIST}{entry.pk}/change/", {"reason": "nothing"})
    delete = staff.admin.post(f"{AUDIT_CHANGELIST}{entry.pk}/delete/", {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "Spam"


def test_users_cannot_be_hard_deleted_in_admin(staff):
    user = StudentFactory()

    response = staff.admin.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert User.objects.get(pk=user.pk).deleted_at is None
    assert not AuditLog.objects.exists()


def test_a_staff_edit_that_deactivates_a_user_revokes_their_tokens(staff):
    user = StudentFactory()
    old = client_for(user)
    joined = timezone.localtime(user.date_joined)
    form = {
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": "student",
        "tier": "free",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
    }

    ok(staff.admin.post(f"/admin/accounts/user/{user.pk}/change/", form), 302)

    user.refresh_from_db()
    assert (user.is_active, user.token_version) == (False, 1)
    assert old.get("/api/v1/auth/me").status_code == 403  # inactive
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert old.get("/api/v1/auth/me").json()["code"] == "token_revoked"
    entry = AuditLog.objects.get(action="user.update")
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})


def test_a_participants_own_cancel_is_not_a_staff_action(db):
    """A participant's own cancel is their action, not a staff one: no audit record."""
    session = SessionFactory()

    ok(client_for(session.student).post(f"/api/v1/sessions/{session.pk}/cancel", {"reason": "x"}))

    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED
    assert not AuditLog.objects.exists()

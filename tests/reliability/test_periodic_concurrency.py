"""Beat jobs run twice, and concurrently: each effect still happens exactly once.

Each test runs the beat task four times at once, in threads with their own database
connections (calling the task as a worker's pool does, not `apply()`, whose eager-result
guard is process-wide), then once more. The first call of the step
that claims work waits in every run until all runs have got there: every run has read the
same work before any run claims any of it, the worst interleaving for "exactly once"."""

import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import Notification, User
from attendance import services as attendance_services
from attendance import tasks as attendance_tasks
from attendance.models import AttendanceDay, DailyAttendance
from credits import services as credits_services
from credits import tasks as credits_tasks
from credits.models import CreditAccount, CreditTransaction
from jobs import services as jobs_services
from jobs import tasks as jobs_tasks
from jobs.models import Job
from jobs.services import jobs as job_services
from mentoring import tasks as mentoring_tasks
from mentoring.models import Session
from mentoring.services import sessions as session_services
from tests.accounts.factories import StudentFactory
from tests.attendance.factories import DailyAttendanceFactory
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.credits.factories import CreditAccountFactory
from tests.jobs.factories import ProjectFactory
from tests.mentoring.factories import SessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 4


def overlapping_runs(
    monkeypatch, module: Any, step: str, run: Callable[[], Any], runs: int = RUNS
) -> list[Any]:
    """Call `run` in `runs` threads at once and return what each returned. The first call
    of `module.step` in each thread waits for the other runs' first calls."""
    barrier = threading.Barrier(runs, timeout=30)
    real_step = getattr(module, step)
    paused = threading.local()

    def step_after_everyone_has_read(*args, **kwargs):
        if not getattr(paused, "done", False):
            paused.done = True
            barrier.wait()
        return real_step(*args, **kwargs)

    monkeypatch.setattr(module, step, step_after_everyone_has_read)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one_run():
        try:
            results.append(run())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.setattr(module, step, real_step)
    assert errors == []
    assert len(results) == runs
    return results


# --- credits: the monthly reset --------------------------------------------------------------


def test_concurrent_monthly_resets_reset_each_account_once(monkeypatch, settings):
    settings.CREDITS_RESET_BATCH_SIZE = 3
    tiers = [User.Tier.FREE, User.Tier.PRO, User.Tier.ENTERPRISE] * 3
    accounts = [CreditAccountFactory(user=StudentFactory(tier=tier)) for tier in tiers]
    for account in accounts[::2]:  # these spent one credit: their allowance changes
        credits_services.deduct_credits(user=account.user, amount=1, idempotency_key="spent")

    def reset():
        return credits_tasks.reset_monthly_credits(period="2099-01")

    written = overlapping_runs(monkeypatch, credits_services, "_reset_batch", reset)

    assert sum(written) == 5
    resets = CreditTransaction.objects.filter(idempotency_key="monthly_reset:2099-01")
    assert sorted(resets.values_list("account_id", flat=True)) == sorted(
        account.pk for account in accounts[::2]
    )
    assert set(CreditAccount.objects.values_list("last_reset_period", flat=True)) == {"2099-01"}
    assert (
        sorted(CreditAccount.objects.values_list("allowance", flat=True))
        == [3] * 3 + [30] * 3 + [1000] * 3
    )
    assert reset() == 0
    assert resets.count() == 5


# --- mentoring: reminders and expiry ---------------------------------------------------------


def confirmed_in(delta: timedelta) -> Session:
    start = (timezone.now() + delta).replace(microsecond=0)
    return SessionFactory(scheduled_at=start, status=Session.Status.CONFIRMED)


def test_concurrent_reminder_runs_send_each_reminder_once(monkeypatch):
    soon, tomorrow = confirmed_in(timedelta(minutes=30)), confirmed_in(timedelta(hours=20))
    confirmed_in(timedelta(days=3))  # nothing due yet

    def remind():
        return mentoring_tasks.send_session_reminders()

    sent = overlapping_runs(monkeypatch, session_services, "_remind", remind)

    assert sum(sent) == 2
    subjects = sorted(
        (message.to[0], message.subject.split(" starts in ")[1]) for message in mail.outbox
    )
    assert subjects == sorted(
        [
            (soon.student.email, "1 hour"),
            (soon.mentor.email, "1 hour"),
            (tomorrow.student.email, "24 hours"),
            (tomorrow.mentor.email, "24 hours"),
        ]
    )
    assert Notification.objects.filter(type="session_reminder").count() == 4
    assert remind() == 0
    assert len(mail.outbox) == 4


def test_concurrent_expiry_runs_cancel_each_request_once_and_release_its_hold_once(monkeypatch):
    started_unconfirmed = [
        SessionFactory(scheduled_at=timezone.now() - timedelta(minutes=minutes))
        for minutes in (1, 30, 90)
    ]
    upcoming = SessionFactory()

    def expire():
        return mentoring_tasks.expire_session_requests()

    expired = overlapping_runs(monkeypatch, session_services, "_expire", expire)

    assert sum(expired) == 3
    statuses = dict(Session.objects.values_list("pk", "status"))
    assert statuses == {
        **{session.pk: Session.Status.CANCELLED for session in started_unconfirmed},
        upcoming.pk: Session.Status.REQUESTED,
    }
    releases = CreditTransaction.objects.filter(kind="release").values_list("reference", flat=True)
    assert sorted(releases) == sorted(
        f"mentoring-session:{session.pk}" for session in started_unconfirmed
    )
    assert Notification.objects.filter(type="session_cancelled").count() == 3
    assert expire() == 0


# --- attendance: closing the day -------------------------------------------------------------


def test_concurrent_closes_of_a_day_mark_each_student_once(monkeypatch):
    day = timezone.localdate() - timedelta(days=2)
    before_the_day = timezone.make_aware(datetime.combine(day - timedelta(days=7), time(9)))
    course = CourseFactory(start_date=day - timedelta(days=30), end_date=None)
    present, short, missing = StudentFactory(), StudentFactory(), StudentFactory()
    for student in (present, short, missing):
        EnrollmentFactory(user=student, course=course, enrolled_at=before_the_day)
    DailyAttendanceFactory(user=present, date=day, total_seconds=600, status="present")
    DailyAttendanceFactory(user=short, date=day, total_seconds=599)

    def close():
        return attendance_tasks.close_previous_day(day=day.isoformat())

    results = overlapping_runs(monkeypatch, attendance_services, "attendance_day_close", close)

    changes = sorted((r["marked_absent"], r["created_absent"]) for r in results)
    assert changes == [(0, 0), (0, 0), (0, 0), (1, 1)]
    assert sorted(
        DailyAttendance.objects.filter(date=day).values_list("user_id", "status", "closed")
    ) == sorted(
        [(present.pk, "present", True), (short.pk, "absent", True), (missing.pk, "absent", True)]
    )
    record = AttendanceDay.objects.get(date=day)
    assert (record.marked_absent, record.created_absent, record.present, record.absent) == (
        1,
        1,
        1,
        2,
    )
    again = close()
    assert (again["marked_absent"], again["created_absent"], again["already_closed"]) == (
        0,
        0,
        True,
    )


# --- jobs: the stuck-job reaper --------------------------------------------------------------


def test_concurrent_reaper_runs_requeue_each_silent_job_once(monkeypatch):
    published: list[int] = []
    monkeypatch.setattr(
        jobs_tasks.job_run_task,
        "apply_async",
        lambda args=None, **options: published.append(args[0]),
    )
    student = StudentFactory()
    jobs = [
        jobs_services.job_create(
            user=student, project_id=ProjectFactory(owner=student).pk, job_type="script_analysis"
        )
        for _ in range(3)
    ]
    silent_since = timezone.now() - timedelta(hours=1)
    Job.objects.update(
        status=Job.Status.PROCESSING, attempts=1, started_at=silent_since, heartbeat_at=silent_since
    )
    published.clear()  # the runs published when the jobs were created

    def reap():
        return jobs_tasks.jobs_reap_stuck_task()

    results = overlapping_runs(monkeypatch, job_services, "_reap_one", reap)

    assert sum(result["requeued"] for result in results) == 3
    assert sum(result["failed"] + result["cancelled"] for result in results) == 0
    assert sorted(published) == sorted(job.pk for job in jobs)
    assert set(Job.objects.values_list("status", "retry_count")) == {(Job.Status.QUEUED, 1)}
    assert reap()["requeued"] == 0
    assert len(published) == 3

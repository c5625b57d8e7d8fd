"""Closing a day: the service, the staff endpoint, the beat task."""

from datetime import UTC, date, datetime

import pytest
from django.conf import settings as django_settings
from django_celery_beat.models import PeriodicTask
from freezegun import freeze_time

from accounts.models import AuditLog
from attendance import services, tasks
from attendance.models import AttendanceDay, DailyAttendance
from config.errors import ValidationFailed
from tests.accounts.factories import StudentFactory
from tests.attendance.factories import DailyAttendanceFactory
from tests.conftest import client_for
from tests.courses.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
# Noon on the day after DAY, UTC (the tests' default TIME_ZONE).
NEXT_NOON = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
BEFORE_DAY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def rows() -> list[tuple]:
    return list(
        DailyAttendance.objects.order_by("user_id", "date").values_list(
            "user_id", "date", "total_seconds", "status", "closed"
        )
    )


def enrolled_student(course, enrolled_at=BEFORE_DAY, **kwargs):
    student = StudentFactory()
    EnrollmentFactory(user=student, course=course, enrolled_at=enrolled_at, **kwargs)
    return student


@pytest.fixture
def day_of_class(db):
    """A course running on DAY and its students: one present, one short of the threshold,
    one who never came; plus people who must not be marked absent."""
    course = CourseFactory()
    present = enrolled_student(course)
    short = enrolled_student(course)
    missing = enrolled_student(course)
    DailyAttendanceFactory(user=present, date=DAY, total_seconds=600, status="present")
    DailyAttendanceFactory(user=short, date=DAY, total_seconds=599)
    late = enrolled_student(course, enrolled_at=datetime(2026, 3, 11, 0, 0, tzinfo=UTC))
    dropped = enrolled_student(course, status="dropped")
    assistant = enrolled_student(course, role="ta")
    suspended = enrolled_student(course)
    suspended.is_active = False
    suspended.save()
    ended = enrolled_student(CourseFactory(end_date=date(2026, 3, 9)))
    not_started = enrolled_student(CourseFactory(start_date=date(2026, 3, 11)))
    archived = enrolled_student(CourseFactory(status="archived"))
    also_in_other_course = missing
    EnrollmentFactory(user=also_in_other_course, course=CourseFactory(), enrolled_at=BEFORE_DAY)
    return {
        "present": present,
        "short": short,
        "missing": missing,
        "not_absent": [late, dropped, assistant, suspended, ended, not_started, archived],
    }


def test_closing_a_day(day_of_class):
    with freeze_time(NEXT_NOON):
        result = services.attendance_day_close(day=DAY)

    assert result.as_dict() == {
        "date": "2026-03-10",
        "marked_absent": 1,
        "created_absent": 1,
        "marked_present": 0,
        "present": 1,
        "absent": 2,
        "already_closed": False,
    }
    assert rows() == sorted(
        [
            (day_of_class["present"].pk, DAY, 600, "present", True),
            (day_of_class["short"].pk, DAY, 599, "absent", True),
            (day_of_class["missing"].pk, DAY, 0, "absent", True),
        ]
    )
    record = AttendanceDay.objects.get(date=DAY)
    assert (record.closed_by, record.marked_absent, record.created_absent) == (None, 1, 1)
    assert not AuditLog.objects.filter(action="attendance.day_close").exists()


def test_closing_a_day_twice_changes_nothing(day_of_class):
    with freeze_time(NEXT_NOON):
        services.attendance_day_close(day=DAY)
    before = list(DailyAttendance.objects.order_by("id").values_list())

    with freeze_time(NEXT_NOON.replace(hour=13)):
        again = services.attendance_day_close(day=DAY)

    assert (again.marked_absent, again.created_absent, again.already_closed) == (0, 0, True)
    assert (again.present, again.absent) == (1, 2)
    assert list(DailyAttendance.objects.order_by("id").values_list()) == before


def test_other_days_are_untouched(day_of_class):
    other = DailyAttendanceFactory(date=date(2026, 3, 9), total_seconds=10)
    with freeze_time(NEXT_NOON):
        services.attendance_day_close(day=DAY)
    other.refresh_from_db()
    assert (other.status, other.closed) == ("in_progress", False)
    assert not DailyAttendance.objects.filter(date=date(2026, 3, 9)).exclude(pk=other.pk).exists()


def test_a_row_that_reached_the_threshold_without_being_marked_is_present(db, settings):
    settings.ATTENDANCE_MIN_SECONDS = 300
    row = DailyAttendanceFactory(date=DAY, total_seconds=400)
    with freeze_time(NEXT_NOON):
        result = services.attendance_day_close(day=DAY)
    row.refresh_from_db()
    assert (row.status, row.closed, result.marked_present) == ("present", True, 1)


def test_enrolled_by_the_end_of_the_day_in_the_time_zone(db, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    course = CourseFactory()
    # 23:30 on the 10th in Los Angeles is 06:30 on the 11th in UTC: enrolled that day.
    evening = enrolled_student(course, enrolled_at=datetime(2026, 3, 11, 6, 30, tzinfo=UTC))
    # 00:30 on the 11th in Los Angeles: enrolled after that day.
    enrolled_student(course, enrolled_at=datetime(2026, 3, 11, 8, 30, tzinfo=UTC))

    with freeze_time(datetime(2026, 3, 11, 20, 0, tzinfo=UTC)):
        result = services.attendance_day_close(day=DAY)

    assert result.created_absent == 1
    assert rows() == [(evening.pk, DAY, 0, "absent", True)]


@pytest.mark.parametrize("day", [date(2026, 3, 11), date(2026, 3, 12)])
def test_today_and_later_cannot_be_closed(day_of_class, day):
    before = rows()
    with freeze_time(NEXT_NOON), pytest.raises(ValidationFailed) as refused:
        services.attendance_day_close(day=day)
    assert refused.value.code == "day_not_over"
    assert rows() == before
    assert not AttendanceDay.objects.exists()


@pytest.mark.parametrize("students", [2, 20])
def test_closing_is_set_based(db, students, django_assert_num_queries):
    course = CourseFactory()
    for _ in range(students):
        DailyAttendanceFactory(user=enrolled_student(course), date=DAY, total_seconds=5)
        enrolled_student(course)
    # SAVEPOINT, lock AttendanceDay (none), SAVEPOINT, insert it, RELEASE, three UPDATEs of
    # the day's rows, the students without a row, one INSERT of absent rows, the counts,
    # save AttendanceDay, RELEASE SAVEPOINT.
    with freeze_time(NEXT_NOON), django_assert_num_queries(13):
        result = services.attendance_day_close(day=DAY)
    assert (result.marked_absent, result.created_absent) == (students, students)


# --- the staff endpoint -------------------------------------------------------------------


def test_staff_close_a_day_and_it_is_audited(day_of_class, staff):
    with freeze_time(NEXT_NOON):
        response = client_for(staff).post("/api/v1/attendance/finalize?date=2026-03-10")

    assert response.status_code == 200
    assert response.json() == {
        "date": "2026-03-10",
        "marked_absent": 1,
        "created_absent": 1,
        "marked_present": 0,
        "present": 1,
        "absent": 2,
        "already_closed": False,
    }
    record = AttendanceDay.objects.get(date=DAY)
    assert record.closed_by == staff
    audit = AuditLog.objects.get(action="attendance.day_close")
    assert (audit.actor, audit.target_id, audit.after["created_absent"]) == (
        staff,
        str(record.pk),
        1,
    )

    with freeze_time(NEXT_NOON):
        again = client_for(staff).post("/api/v1/attendance/finalize?date=2026-03-10")
    assert (again.json()["marked_absent"], again.json()["already_closed"]) == (0, True)
    assert AuditLog.objects.filter(action="attendance.day_close").count() == 1


def test_finalize_closes_yesterday_by_default(db, staff):
    row = DailyAttendanceFactory(date=DAY, total_seconds=1)
    with freeze_time(NEXT_NOON):
        response = client_for(staff).post("/api/v1/attendance/finalize")
    assert (response.status_code, response.json()["date"]) == (200, "2026-03-10")
    row.refresh_from_db()
    assert row.status == "absent"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("date=2026-03-11", "day_not_over"),
        ("date=2027-01-01", "day_not_over"),
        ("date=2026-02-30", "invalid"),
        ("date=yesterday", "invalid"),
    ],
)
def test_finalize_refuses_today_the_future_and_bad_dates(db, staff, query, code):
    row = DailyAttendanceFactory(date=date(2026, 3, 11), total_seconds=1)
    with freeze_time(NEXT_NOON):
        response = client_for(staff).post(f"/api/v1/attendance/finalize?{query}")
    assert (response.status_code, response.json()["code"]) == (400, code)
    row.refresh_from_db()
    assert (row.status, row.closed) == ("in_progress", False)
    assert not AttendanceDay.objects.exists()
    assert not AuditLog.objects.filter(action="attendance.day_close").exists()


@pytest.mark.parametrize("who", ["student", "mentor"])
def test_only_staff_finalize(db, who, student, mentor):
    row = DailyAttendanceFactory(date=DAY, total_seconds=1)
    with freeze_time(NEXT_NOON):
        response = client_for({"student": student, "mentor": mentor}[who]).post(
            "/api/v1/attendance/finalize?date=2026-03-10"
        )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == "in_progress"


# --- the scheduled close ------------------------------------------------------------------


def test_the_task_closes_yesterday(day_of_class):
    with freeze_time(datetime(2026, 3, 11, 0, 15, tzinfo=UTC)):
        result = tasks.close_previous_day.delay().get()
    assert (result["date"], result["marked_absent"], result["created_absent"]) == (
        "2026-03-10",
        1,
        1,
    )
    with freeze_time(datetime(2026, 3, 11, 0, 16, tzinfo=UTC)):
        again = tasks.close_previous_day.delay().get()
    assert (again["marked_absent"], again["created_absent"]) == (0, 0)


def test_the_task_closes_a_given_day(day_of_class):
    with freeze_time(datetime(2026, 3, 20, 0, 15, tzinfo=UTC)):
        result = tasks.close_previous_day.delay(day="2026-03-10").get()
    assert result["created_absent"] == 1


def test_the_close_runs_every_night_at_a_quarter_past_midnight(db):
    entry = django_settings.CELERY_BEAT_SCHEDULE["attendance-close-yesterday"]
    assert entry["task"] == "attendance.tasks.close_previous_day"
    task = PeriodicTask.objects.get(name="attendance-close-yesterday")
    assert task.task == entry["task"]
    crontab = task.crontab
    assert (
        crontab.minute,
        crontab.hour,
        crontab.day_of_month,
        crontab.month_of_year,
        crontab.day_of_week,
    ) == ("15", "0", "*", "*", "*")
    assert str(crontab.timezone) == django_settings.TIME_ZONE


def test_ensuring_the_schedule_again_keeps_admin_edits(db):
    PeriodicTask.objects.filter(name="attendance-close-yesterday").update(enabled=False)
    services.beat_schedule_ensure()
    assert PeriodicTask.objects.filter(name="attendance-close-yesterday").count() == 1
    assert not PeriodicTask.objects.get(name="attendance-close-yesterday").enabled

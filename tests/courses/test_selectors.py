"""Selectors other apps build on (attendance's day close and completion counts)."""

from datetime import UTC, date, datetime

import pytest

from courses import selectors
from tests.accounts.factories import StudentFactory
from tests.courses.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
EARLIER = datetime(2026, 3, 1, tzinfo=UTC)


def test_enrollment_student_ids_on_a_day(settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    running = CourseFactory(start_date=date(2026, 3, 1), end_date=date(2026, 3, 31))
    expected = EnrollmentFactory(course=running, enrolled_at=EARLIER).user
    # 23:59 on the 10th in Los Angeles (06:59 on the 11th, UTC) is still that day.
    last_minute = EnrollmentFactory(
        course=running, enrolled_at=datetime(2026, 3, 11, 6, 59, tzinfo=UTC)
    ).user
    EnrollmentFactory(user=expected, course=CourseFactory(), enrolled_at=EARLIER)  # twice: once
    EnrollmentFactory(course=running, enrolled_at=datetime(2026, 3, 11, 7, 0, tzinfo=UTC))
    EnrollmentFactory(course=running, enrolled_at=EARLIER, status="dropped")
    EnrollmentFactory(course=running, enrolled_at=EARLIER, status="completed")
    EnrollmentFactory(course=running, enrolled_at=EARLIER, role="ta")
    EnrollmentFactory(course=running, enrolled_at=EARLIER, user=StudentFactory(is_active=False))
    EnrollmentFactory(course=running, enrolled_at=EARLIER, user=StudentFactory(deleted_at=EARLIER))
    for course in (
        CourseFactory(status="draft"),
        CourseFactory(status="archived"),
        CourseFactory(start_date=date(2026, 3, 11)),
        CourseFactory(end_date=date(2026, 3, 9)),
    ):
        EnrollmentFactory(course=course, enrolled_at=EARLIER)

    ids = list(selectors.enrollment_student_ids_on(day=DAY))

    assert sorted(ids) == sorted([expected.pk, last_minute.pk])


def test_enrollment_active_course_ids(student):
    active = EnrollmentFactory(user=student).course
    EnrollmentFactory(user=student, status="dropped")
    EnrollmentFactory()
    assert list(selectors.enrollment_active_course_ids(user_id=student.pk)) == [active.pk]


def test_student_ids_taught_by(mentor):
    mine = CourseFactory(instructor=mentor)
    current = EnrollmentFactory(course=mine).user
    former = EnrollmentFactory(course=mine, status="dropped").user
    EnrollmentFactory()
    assert sorted(selectors.student_ids_taught_by(instructor_id=mentor.pk)) == sorted(
        [current.pk, former.pk]
    )

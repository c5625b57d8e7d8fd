"""Selectors other apps use, and the cached lookups of the progress endpoint."""

from datetime import date

import pytest

from attendance import selectors, services
from courses import selectors as course_selectors
from courses import services as course_services
from tests.accounts.factories import StudentFactory
from tests.attendance.conftest import at, send
from tests.attendance.factories import DailyAttendanceFactory
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db


def watch(user, video, start: int, seconds: int) -> None:
    send(
        user,
        at(start),
        video_id=video.pk,
        event="play",
        position_seconds=0,
        event_id=f"{video.pk}-{start}-play",
    )
    send(
        user,
        at(start + seconds),
        video_id=video.pk,
        event="pause",
        position_seconds=seconds,
        event_id=f"{video.pk}-{start}-pause",
    )


# --- course_completion_counts -------------------------------------------------------------


def test_course_completion_counts(student, django_assert_num_queries):
    completed = CourseFactory()
    started = CourseFactory()
    untouched = CourseFactory()
    dropped = CourseFactory()
    for course in (completed, started, untouched, dropped):
        EnrollmentFactory(user=student, course=course)
    done = VideoFactory(course=completed, duration_seconds=100)
    VideoFactory(course=completed, is_available=False)  # gone: does not hold completion back
    first = VideoFactory(course=started, duration_seconds=100)
    VideoFactory(course=started, duration_seconds=100)
    VideoFactory(course=untouched)
    dropped_video = VideoFactory(course=dropped, duration_seconds=100)
    watch(student, done, 0, 100)
    watch(student, first, 200, 100)  # one of two videos complete
    watch(student, dropped_video, 400, 100)
    course_services.enrollment_drop(user=student, course_id=dropped.pk)

    # the user's complete videos per actively enrolled course, with its available videos
    with django_assert_num_queries(1):
        counts = selectors.course_completion_counts(user_id=student.pk)

    assert counts == {"in_progress": 1, "completed": 1}


def test_course_completion_counts_of_a_newcomer(student):
    EnrollmentFactory(user=student)
    assert selectors.course_completion_counts(user_id=student.pk) == {
        "in_progress": 0,
        "completed": 0,
    }


def test_a_play_alone_starts_a_course(student):
    course = CourseFactory()
    EnrollmentFactory(user=student, course=course)
    video = VideoFactory(course=course)
    send(student, at(0), video_id=video.pk, start_time=at(0).isoformat())
    assert selectors.course_completion_counts(user_id=student.pk) == {
        "in_progress": 1,
        "completed": 0,
    }


# --- attendance_summary -------------------------------------------------------------------


def test_attendance_summary(django_assert_num_queries):
    course = CourseFactory()
    other_course = CourseFactory()
    video = VideoFactory(course=course, duration_seconds=600)
    other_video = VideoFactory(course=other_course, duration_seconds=600)
    regular, absentee, newcomer = StudentFactory(), StudentFactory(), StudentFactory()
    for user in (regular, absentee):
        EnrollmentFactory(user=user, course=course)
        EnrollmentFactory(user=user, course=other_course)
    watch(regular, video, 0, 100)
    watch(regular, other_video, 200, 50)  # another course's time does not count
    watch(absentee, video, 400, 30)
    for day in (1, 5, 9):
        DailyAttendanceFactory(user=absentee, date=date(2026, 3, day), status="absent")
    DailyAttendanceFactory(user=regular, date=date(2026, 3, 6), status="present")

    # absent days per user, watch time per user on the course
    with django_assert_num_queries(2):
        summary = selectors.attendance_summary(
            course_id=course.pk,
            user_ids=[regular.pk, absentee.pk, newcomer.pk],
            since=date(2026, 3, 3),
        )

    assert summary == {
        regular.pk: {"absent_days": 0, "watch_seconds": 100},
        absentee.pk: {"absent_days": 2, "watch_seconds": 30},
        newcomer.pk: {"absent_days": 0, "watch_seconds": 0},
    }


def test_attendance_summary_counts_from_since(student):
    course = CourseFactory()
    EnrollmentFactory(user=student, course=course)
    video = VideoFactory(course=course)
    watch(student, video, 0, 100)  # on 2026-03-10
    summary = selectors.attendance_summary(
        course_id=course.pk, user_ids=[student.pk], since=date(2026, 3, 11)
    )
    assert summary == {student.pk: {"absent_days": 0, "watch_seconds": 0}}


def test_attendance_summary_takes_a_subquery_of_ids(django_assert_num_queries):
    course = CourseFactory()
    video = VideoFactory(course=course, duration_seconds=600)
    watcher, absentee, idle = StudentFactory(), StudentFactory(), StudentFactory()
    for user in (watcher, absentee, idle):
        EnrollmentFactory(user=user, course=course)
    watch(watcher, video, 0, 100)
    DailyAttendanceFactory(user=absentee, date=date(2026, 3, 9), status="absent")
    DailyAttendanceFactory(date=date(2026, 3, 9), status="absent")  # not a student of it
    ids = course_selectors.course_student_enrollments(course_id=course.pk).values_list(
        "user_id", flat=True
    )

    # absent days, watch time; the ids stay a subquery
    with django_assert_num_queries(2):
        summary = selectors.attendance_summary(
            course_id=course.pk, user_ids=ids, since=date(2026, 3, 1)
        )

    assert summary == {
        watcher.pk: {"absent_days": 0, "watch_seconds": 100},
        absentee.pk: {"absent_days": 1, "watch_seconds": 0},
    }


# --- the cached lookups -------------------------------------------------------------------


def test_the_enrollment_check_is_cached(student, django_assert_num_queries):
    course = CourseFactory()
    EnrollmentFactory(user=student, course=course)
    assert selectors.enrollment_active(user_id=student.pk, course_id=course.pk) is True
    with django_assert_num_queries(0):
        assert selectors.enrollment_active(user_id=student.pk, course_id=course.pk) is True


def test_a_drop_is_forgotten_again_after_commit(student, django_capture_on_commit_callbacks):
    course = CourseFactory()
    EnrollmentFactory(user=student, course=course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        course_services.enrollment_drop(user=student, course_id=course.pk)
    # A request that read the row before the drop committed caches the old answer...
    selectors.enrollment_active.set(True, user_id=student.pk, course_id=course.pk)
    # ...and the commit forgets it.
    for callback in callbacks:
        callback()
    assert selectors.enrollment_active(user_id=student.pk, course_id=course.pk) is False


def test_the_video_lookup_is_cached_and_forgotten_on_change(django_assert_num_queries):
    video = VideoFactory(duration_seconds=600)
    assert selectors.video_facts(video_id=video.pk) == selectors.VideoFacts(
        id=video.pk, course_id=video.course_id, duration_seconds=600, is_available=True
    )
    with django_assert_num_queries(0):
        selectors.video_facts(video_id=video.pk)
    video.is_available = False
    video.save()
    assert selectors.video_facts(video_id=video.pk).is_available is False
    video_id = video.pk
    video.delete()
    assert selectors.video_facts(video_id=video_id) is None


# --- helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intervals", "new", "merged"),
    [
        ([], [5, 10], [[5, 10]]),
        ([[0, 10]], [10, 20], [[0, 20]]),
        ([[0, 10], [30, 40]], [5, 35], [[0, 40]]),
        ([[0, 10], [30, 40]], [15, 20], [[0, 10], [15, 20], [30, 40]]),
        ([[0, 10]], [2, 8], [[0, 10]]),
        ([[20, 30]], None, [[20, 30]]),
    ],
)
def test_intervals_merge(intervals, new, merged):
    assert services.intervals_merge(intervals, new) == merged


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "00:00:00"), (61, "00:01:01"), (3600, "01:00:00"), (90000, "25:00:00")],
)
def test_hms(seconds, text):
    assert selectors.hms(seconds) == text

"""Scoring of at-risk students (pure, at every threshold) and the selector that reads the
figures of a course's students."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from courses import risk
from courses.models import Enrollment
from courses.risk import RiskFigures, RiskThresholds, risk_assess
from tests.accounts.factories import StudentFactory
from tests.attendance.factories import DailyAttendanceFactory, VideoProgressFactory
from tests.courses.factories import (
    CourseFactory,
    EnrollmentFactory,
    QuestionFactory,
    QuizFactory,
    StudentAnswerFactory,
)
from tests.videos.factories import VideoFactory

THRESHOLDS = RiskThresholds(
    window_days=14,
    wrong_share_medium=0.3,
    wrong_share_high=0.5,
    min_answers=5,
    absent_days_medium=5,
    absent_days_high=8,
    min_watch_seconds=3600,
)


def figures(**overrides) -> RiskFigures:
    """A student with nothing wrong: enough answers all right, no absence, enough watch
    time over a whole window."""
    values = {
        "answered": 10,
        "wrong": 0,
        "absent_days": 0,
        "watch_seconds": 3600,
        "days_enrolled": 14,
    }
    return RiskFigures(**(values | overrides))


def assess(**overrides) -> tuple[str, list[tuple[str, str]]]:
    result = risk_assess(figures=figures(**overrides), thresholds=THRESHOLDS)
    return result.level, [(reason.code, reason.level) for reason in result.reasons]


# --- scoring ------------------------------------------------------------------------------------


def test_a_student_with_nothing_wrong_is_low_without_reasons():
    assert assess() == ("low", [])


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        (2, ("low", [])),  # 0.2
        (3, ("medium", [("wrong_answers", "medium")])),  # 0.3: the medium threshold
        (4, ("medium", [("wrong_answers", "medium")])),
        (5, ("high", [("wrong_answers", "high")])),  # 0.5: the high threshold
        (10, ("high", [("wrong_answers", "high")])),
    ],
)
def test_wrong_share_thresholds_are_inclusive(wrong, expected):
    assert assess(answered=10, wrong=wrong) == expected


def test_a_share_one_answer_short_of_a_threshold_stays_below_it():
    # 29/100 and 49/100: just under 0.3 and 0.5
    assert assess(answered=100, wrong=29) == ("low", [])
    assert assess(answered=100, wrong=49) == ("medium", [("wrong_answers", "medium")])


@pytest.mark.parametrize(
    ("answered", "expected"),
    [
        (4, ("low", [])),  # all wrong, but fewer than AT_RISK_MIN_ANSWERS: not judged
        (5, ("high", [("wrong_answers", "high")])),
    ],
)
def test_the_wrong_share_is_judged_from_the_minimum_number_of_answers(answered, expected):
    assert assess(answered=answered, wrong=answered) == expected


@pytest.mark.parametrize(
    ("absent_days", "expected"),
    [
        (4, ("low", [])),
        (5, ("medium", [("absences", "medium")])),
        (7, ("medium", [("absences", "medium")])),
        (8, ("high", [("absences", "high")])),
    ],
)
def test_absent_day_thresholds_are_inclusive(absent_days, expected):
    assert assess(absent_days=absent_days) == expected


@pytest.mark.parametrize(
    ("watch_seconds", "days_enrolled", "expected"),
    [
        (3599, 14, ("medium", [("low_watch_time", "medium")])),
        (3600, 14, ("low", [])),
        # enrolled for half the window: half the minimum is expected
        (1799, 7, ("medium", [("low_watch_time", "medium")])),
        (1800, 7, ("low", [])),
        # one day of fourteen: 3600 / 14 = 257.1, rounded up
        (257, 1, ("medium", [("low_watch_time", "medium")])),
        (258, 1, ("low", [])),
    ],
)
def test_the_watch_time_minimum_is_pro_rated_by_days_enrolled(
    watch_seconds, days_enrolled, expected
):
    assert assess(watch_seconds=watch_seconds, days_enrolled=days_enrolled) == expected


def test_a_student_with_no_activity_is_medium_with_the_single_reason_no_activity():
    result = risk_assess(
        figures=figures(answered=0, wrong=0, absent_days=0, watch_seconds=0),
        thresholds=THRESHOLDS,
    )

    assert result.level == "medium"
    assert [vars(reason) for reason in result.reasons] == [
        {
            "code": "no_activity",
            "level": "medium",
            "message": "No quiz answer, watch time or absence recorded in the last 14 days.",
            "value": 0,
            "threshold": None,
        }
    ]


def test_absences_alone_are_activity_enough_to_be_judged():
    assert assess(answered=0, wrong=0, absent_days=8, watch_seconds=0) == (
        "high",
        [("absences", "high"), ("low_watch_time", "medium")],
    )


def test_the_level_is_the_highest_reason_and_every_reason_is_given():
    result = risk_assess(
        figures=figures(answered=10, wrong=3, absent_days=8, watch_seconds=600),
        thresholds=THRESHOLDS,
    )

    assert result.level == "high"
    assert [vars(reason) for reason in result.reasons] == [
        {
            "code": "wrong_answers",
            "level": "medium",
            "message": "Answered 3 of 10 questions wrong (30%) in the last 14 days.",
            "value": 0.3,
            "threshold": 0.3,
        },
        {
            "code": "absences",
            "level": "high",
            "message": "Absent 8 of the last 14 days.",
            "value": 8,
            "threshold": 8,
        },
        {
            "code": "low_watch_time",
            "level": "medium",
            "message": "Watched 10 min of the course's videos in the last 14 days; "
            "at least 60 min expected.",
            "value": 600,
            "threshold": 3600,
        },
    ]


def test_a_minimum_watch_time_of_zero_turns_the_rule_off():
    thresholds = RiskThresholds(**(vars(THRESHOLDS) | {"min_watch_seconds": 0}))
    result = risk_assess(figures=figures(watch_seconds=0), thresholds=thresholds)
    assert (result.level, result.reasons) == ("low", [])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"window_days": 0}, "AT_RISK_WINDOW_DAYS must be at least 1."),
        ({"wrong_share_medium": 0.6}, "AT_RISK_WRONG_SHARE_MEDIUM and _HIGH"),
        ({"wrong_share_high": 1.5}, "AT_RISK_WRONG_SHARE_MEDIUM and _HIGH"),
        ({"wrong_share_medium": 0}, "AT_RISK_WRONG_SHARE_MEDIUM and _HIGH"),
        ({"min_answers": 0}, "AT_RISK_MIN_ANSWERS must be at least 1."),
        ({"absent_days_medium": 9}, "AT_RISK_ABSENT_DAYS_MEDIUM and _HIGH"),
        ({"min_watch_seconds": -1}, "AT_RISK_MIN_WATCH_SECONDS cannot be negative."),
    ],
)
def test_inconsistent_thresholds_are_refused(overrides, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        RiskThresholds(**(vars(THRESHOLDS) | overrides))


def test_the_system_check_refuses_inconsistent_settings(settings):
    call_command("check")  # the defaults pass
    settings.AT_RISK_ABSENT_DAYS_MEDIUM = 10
    settings.AT_RISK_ABSENT_DAYS_HIGH = 3

    with pytest.raises(SystemCheckError, match=r"courses\.E001"):
        call_command("check")


def test_thresholds_are_read_from_settings(settings):
    settings.AT_RISK_WINDOW_DAYS = 7
    settings.AT_RISK_WRONG_SHARE_MEDIUM = 0.25
    settings.AT_RISK_WRONG_SHARE_HIGH = 0.75
    settings.AT_RISK_MIN_ANSWERS = 3
    settings.AT_RISK_ABSENT_DAYS_MEDIUM = 2
    settings.AT_RISK_ABSENT_DAYS_HIGH = 4
    settings.AT_RISK_MIN_WATCH_SECONDS = 900

    assert RiskThresholds.from_settings() == RiskThresholds(
        window_days=7,
        wrong_share_medium=0.25,
        wrong_share_high=0.75,
        min_answers=3,
        absent_days_medium=2,
        absent_days_high=4,
        min_watch_seconds=900,
    )


def test_the_window_is_the_last_days_up_to_today_inclusive():
    window = risk.risk_window(days=14, today=date(2026, 3, 20))
    assert (window.date_from, window.date_to, window.days) == (
        date(2026, 3, 7),
        date(2026, 3, 20),
        14,
    )


# --- the selector -------------------------------------------------------------------------------

TODAY = date(2026, 3, 20)
FIRST_DAY = date(2026, 3, 7)  # of the fourteen-day window ending TODAY


@pytest.fixture
def course(db):
    return CourseFactory()


@pytest.fixture
def video(course):
    return VideoFactory(course=course)


@pytest.fixture
def quiz(course):
    return QuizFactory(course=course)


def enroll(course, days_ago: int = 30, **kwargs):
    moment = datetime(2026, 3, 20, 8, tzinfo=UTC) - timedelta(days=days_ago)
    return EnrollmentFactory(course=course, enrolled_at=moment, **kwargs).user


def answer(student, quiz, *, correct: bool, at: datetime) -> None:
    StudentAnswerFactory(
        student=student, question=QuestionFactory(quiz=quiz), is_correct=correct, answered_at=at
    )


def by_student(risks) -> dict[int, risk.StudentRisk]:
    return {entry.student.pk: entry for entry in risks}


@pytest.mark.django_db
def test_only_data_inside_the_window_counts(course, video, quiz):
    student = enroll(course)
    first_moment = datetime(2026, 3, 7, tzinfo=UTC)
    for _ in range(5):
        answer(student, quiz, correct=False, at=first_moment)  # in: the window's first moment
    answer(student, quiz, correct=False, at=first_moment - timedelta(seconds=1))  # out
    DailyAttendanceFactory(user=student, date=FIRST_DAY, status="absent")  # in
    DailyAttendanceFactory(user=student, date=FIRST_DAY - timedelta(days=1), status="absent")
    VideoProgressFactory(user=student, video=video, date=FIRST_DAY, watch_seconds=100)
    VideoProgressFactory(
        user=student, video=video, date=FIRST_DAY - timedelta(days=1), watch_seconds=9000
    )

    (entry,) = risk.course_risks(course_id=course.pk, thresholds=THRESHOLDS, today=TODAY)

    assert entry.figures == RiskFigures(
        answered=5, wrong=5, absent_days=1, watch_seconds=100, days_enrolled=14
    )
    assert (entry.window.date_from, entry.window.date_to) == (FIRST_DAY, TODAY)
    assert entry.level == "high"


@pytest.mark.django_db
def test_the_window_follows_the_platform_time_zone(settings, course, quiz):
    settings.TIME_ZONE = "Europe/Paris"
    student = enroll(course)
    # 23:30 UTC on March 6 is 00:30 on March 7 in Paris: inside the window
    for _ in range(5):
        answer(student, quiz, correct=False, at=datetime(2026, 3, 6, 23, 30, tzinfo=UTC))
    # 22:59 UTC on March 6 is 23:59 on March 6 in Paris: outside
    answer(student, quiz, correct=True, at=datetime(2026, 3, 6, 22, 59, tzinfo=UTC))

    (entry,) = risk.course_risks(course_id=course.pk, thresholds=THRESHOLDS, today=TODAY)

    assert (entry.figures.answered, entry.figures.wrong) == (5, 5)


@pytest.mark.django_db
def test_other_courses_quiz_answers_and_watch_time_do_not_count(course, video):
    student = enroll(course)
    other = CourseFactory()
    EnrollmentFactory(course=other, user=student)
    for _ in range(5):
        answer(student, QuizFactory(course=other), correct=False, at=timezone.now())
    VideoProgressFactory(
        user=student, video=VideoFactory(course=other), date=TODAY, watch_seconds=9000
    )
    VideoProgressFactory(user=student, video=video, date=TODAY, watch_seconds=60)

    (entry,) = risk.course_risks(course_id=course.pk, thresholds=THRESHOLDS, today=TODAY)

    assert (entry.figures.answered, entry.figures.watch_seconds) == (0, 60)


@pytest.mark.django_db
def test_only_active_students_who_can_study_are_judged(course):
    kept = enroll(course)
    enroll(course, status=Enrollment.Status.DROPPED)
    enroll(course, status=Enrollment.Status.COMPLETED)
    enroll(course, role=Enrollment.Role.TA)
    enroll(course, user=StudentFactory(is_active=False))
    enroll(course, user=StudentFactory(deleted_at=timezone.now()))
    EnrollmentFactory(course=CourseFactory())

    risks = risk.course_risks(course_id=course.pk, thresholds=THRESHOLDS, today=TODAY)

    assert [entry.student.pk for entry in risks] == [kept.pk]


@pytest.mark.django_db
def test_days_enrolled_count_from_the_enrollment_day(course, video):
    newcomer = enroll(course, days_ago=2)  # March 18: three days of the window
    VideoProgressFactory(user=newcomer, video=video, date=TODAY, watch_seconds=772)

    (entry,) = risk.course_risks(course_id=course.pk, thresholds=THRESHOLDS, today=TODAY)

    # 3600 * 3 / 14 = 771.4, rounded up to 772: just enough
    assert (entry.figures.days_enrolled, entry.required_watch_seconds) == (3, 772)
    assert (entry.level, entry.reasons) == ("low", [])


@pytest.mark.django_db
def test_students_come_highest_level_first_then_most_reasons_then_by_id(course, video, quiz):
    steady, silent, absent, failing, struggling = (enroll(course) for _ in range(5))
    for student in (steady, absent, failing, struggling):
        VideoProgressFactory(user=student, video=video, date=TODAY, watch_seconds=3600)
    DailyAttendanceFactory(user=absent, date=TODAY, status="absent")
    for day in range(5):
        DailyAttendanceFactory(user=absent, date=TODAY - timedelta(days=day + 1), status="absent")
    for _ in range(5):
        answer(failing, quiz, correct=False, at=timezone.now())
    for _ in range(5):
        answer(struggling, quiz, correct=False, at=timezone.now())
    for day in range(5):
        DailyAttendanceFactory(user=struggling, date=TODAY - timedelta(days=day), status="absent")

    risks = risk.course_risks(course_id=course.pk, thresholds=THRESHOLDS, today=TODAY)

    assert [(entry.student.pk, entry.level, len(entry.reasons)) for entry in risks] == [
        (struggling.pk, "high", 2),
        (failing.pk, "high", 1),
        (silent.pk, "medium", 1),
        (absent.pk, "medium", 1),
        (steady.pk, "low", 0),
    ]


@pytest.mark.django_db
def test_one_student_is_judged_alone_and_a_non_student_is_not(course):
    student = enroll(course)
    enroll(course)
    outsider = StudentFactory()

    mine = risk.course_risks(
        course_id=course.pk, thresholds=THRESHOLDS, today=TODAY, user_id=student.pk
    )

    assert [entry.student.pk for entry in mine] == [student.pk]
    assert (
        risk.course_risks(
            course_id=course.pk, thresholds=THRESHOLDS, today=TODAY, user_id=outsider.pk
        )
        == []
    )


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 25])
def test_the_selector_costs_four_queries_whatever_the_number_of_students(
    course, video, quiz, size, django_assert_num_queries
):
    for _ in range(size):
        student = enroll(course)
        answer(student, quiz, correct=False, at=timezone.now())
        DailyAttendanceFactory(user=student, date=TODAY, status="absent")
        VideoProgressFactory(user=student, video=video, date=TODAY, watch_seconds=60)

    # enrollments with users, answers per student, absent days per student, watch per student
    with django_assert_num_queries(4):
        risks = risk.course_risks(course_id=course.pk, thresholds=THRESHOLDS, today=TODAY)

    assert len(risks) == size
    assert {(entry.figures.answered, entry.figures.absent_days) for entry in risks} == {(1, 1)}

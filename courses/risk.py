"""Which of a course's students are at risk, and why.

Each active student of the course (see `course_selectors.course_student_enrollments`) is
judged over a window: the last AT_RISK_WINDOW_DAYS days, TIME_ZONE dates, today included.
Three signals, each giving a reason with a level:

- `wrong_answers`: the share of the course's questions answered wrong in the window
  (answers dated in the window), judged once at least AT_RISK_MIN_ANSWERS were answered
  (fewer tell too little): medium from AT_RISK_WRONG_SHARE_MEDIUM, high from
  AT_RISK_WRONG_SHARE_HIGH;
- `absences`: days of the window closed as absent (attendance is per student, across
  courses): medium from AT_RISK_ABSENT_DAYS_MEDIUM, high from AT_RISK_ABSENT_DAYS_HIGH;
- `low_watch_time`: watch time on the course's videos in the window below
  AT_RISK_MIN_WATCH_SECONDS, pro-rated by the days of the window the student has been
  enrolled (a student who enrolled yesterday owes two days' share): medium.

Thresholds are inclusive: a figure equal to a threshold reaches its level. The student's
level is the highest level among the reasons, low when there is none.

A student with nothing recorded in the window (no answer, no watch time, no absent day)
cannot be judged on any signal; they are medium with the single reason `no_activity`, so
that a student who never started is looked at rather than hidden among the low ones.

`risk_assess` is the pure scoring; `course_risks` reads the figures of every student in a
fixed number of queries and scores them."""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone

from accounts.models import User
from attendance import selectors as attendance_selectors
from courses import selectors as course_selectors


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class RiskReasonCode(models.TextChoices):
    WRONG_ANSWERS = "wrong_answers", "Many wrong quiz answers"
    ABSENCES = "absences", "Absent days"
    LOW_WATCH_TIME = "low_watch_time", "Little watch time"
    NO_ACTIVITY = "no_activity", "Nothing recorded in the window"


LEVEL_RANK: dict[str, int] = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


@dataclass(frozen=True)
class RiskThresholds:
    """The AT_RISK_* settings. Refuses inconsistent values (ImproperlyConfigured), which
    `manage.py check` reports at start-up (see `courses.checks`)."""

    window_days: int
    wrong_share_medium: float
    wrong_share_high: float
    min_answers: int
    absent_days_medium: int
    absent_days_high: int
    min_watch_seconds: int

    def __post_init__(self) -> None:
        problems = []
        if self.window_days < 1:
            problems.append("AT_RISK_WINDOW_DAYS must be at least 1.")
        if not 0 < self.wrong_share_medium <= self.wrong_share_high <= 1:
            problems.append(
                "AT_RISK_WRONG_SHARE_MEDIUM and _HIGH must satisfy 0 < medium <= high <= 1."
            )
        if self.min_answers < 1:
            problems.append("AT_RISK_MIN_ANSWERS must be at least 1.")
        if not 1 <= self.absent_days_medium <= self.absent_days_high:
            problems.append(
                "AT_RISK_ABSENT_DAYS_MEDIUM and _HIGH must satisfy 1 <= medium <= high."
            )
        if self.min_watch_seconds < 0:
            problems.append("AT_RISK_MIN_WATCH_SECONDS cannot be negative.")
        if problems:
            raise ImproperlyConfigured(" ".join(problems))

    @classmethod
    def from_settings(cls) -> "RiskThresholds":
        return cls(
            window_days=settings.AT_RISK_WINDOW_DAYS,
            wrong_share_medium=settings.AT_RISK_WRONG_SHARE_MEDIUM,
            wrong_share_high=settings.AT_RISK_WRONG_SHARE_HIGH,
            min_answers=settings.AT_RISK_MIN_ANSWERS,
            absent_days_medium=settings.AT_RISK_ABSENT_DAYS_MEDIUM,
            absent_days_high=settings.AT_RISK_ABSENT_DAYS_HIGH,
            min_watch_seconds=settings.AT_RISK_MIN_WATCH_SECONDS,
        )


@dataclass(frozen=True)
class RiskWindow:
    """Whole days, `date_from` to `date_to` inclusive, in TIME_ZONE."""

    date_from: date
    date_to: date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def starts_at(self) -> datetime:
        """The first moment of the window (midnight of `date_from`, TIME_ZONE)."""
        return timezone.make_aware(datetime.combine(self.date_from, time.min))


def risk_window(*, days: int, today: date | None = None) -> RiskWindow:
    """The last `days` days up to `today` (default: today in TIME_ZONE)."""
    date_to = today or timezone.localdate()
    return RiskWindow(date_from=date_to - timedelta(days=days - 1), date_to=date_to)


@dataclass(frozen=True)
class RiskFigures:
    """One student's figures over the window. `days_enrolled` is how many days of the
    window the student has been enrolled (1 to the window's length)."""

    answered: int
    wrong: int
    absent_days: int
    watch_seconds: int
    days_enrolled: int

    @property
    def wrong_share(self) -> float | None:
        """Wrong answers over answered ones (four decimals); None without any answer."""
        if not self.answered:
            return None
        return round(self.wrong / self.answered, 4)


@dataclass(frozen=True)
class RiskReason:
    """Why a student has a level: a machine-readable `code`, the `level` this reason alone
    gives, a sentence, the student's figure (`value`) and the threshold it reached or
    missed (None for `no_activity`)."""

    code: str
    level: str
    message: str
    value: float
    threshold: float | None


@dataclass(frozen=True)
class RiskAssessment:
    level: str
    reasons: list[RiskReason] = field(default_factory=list)


def required_watch_seconds(*, figures: RiskFigures, thresholds: RiskThresholds) -> int:
    """The watch time expected of the student in the window: the minimum, pro-rated by the
    days of the window they have been enrolled, rounded up."""
    days = min(max(figures.days_enrolled, 1), thresholds.window_days)
    return math.ceil(thresholds.min_watch_seconds * days / thresholds.window_days)


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


def _at_least(value: Fraction | int, medium: float, high: float) -> str | None:
    """The level a figure reaches, comparing exactly (0.3 of 10 answers is 3, not 3.0000001)."""
    if value >= Fraction(str(high)):
        return RiskLevel.HIGH
    if value >= Fraction(str(medium)):
        return RiskLevel.MEDIUM
    return None


def risk_assess(*, figures: RiskFigures, thresholds: RiskThresholds) -> RiskAssessment:
    """The level and reasons of one student's figures (see the module docstring). Pure."""
    window = thresholds.window_days
    if not figures.answered and not figures.watch_seconds and not figures.absent_days:
        return RiskAssessment(
            level=RiskLevel.MEDIUM,
            reasons=[
                RiskReason(
                    code=RiskReasonCode.NO_ACTIVITY,
                    level=RiskLevel.MEDIUM,
                    message=f"No quiz answer, watch time or absence recorded in the last "
                    f"{window} days.",
                    value=0,
                    threshold=None,
                )
            ],
        )
    reasons: list[RiskReason] = []
    if figures.answered >= thresholds.min_answers:
        level = _at_least(
            Fraction(figures.wrong, figures.answered),
            thresholds.wrong_share_medium,
            thresholds.wrong_share_high,
        )
        if level is not None:
            threshold = (
                thresholds.wrong_share_high
                if level == RiskLevel.HIGH
                else thresholds.wrong_share_medium
            )
            reasons.append(
                RiskReason(
                    code=RiskReasonCode.WRONG_ANSWERS,
                    level=level,
                    message=f"Answered {figures.wrong} of {figures.answered} questions wrong "
                    f"({figures.wrong / figures.answered:.0%}) in the last {window} days.",
                    value=figures.wrong_share or 0.0,
                    threshold=threshold,
                )
            )
    level = _at_least(
        figures.absent_days, thresholds.absent_days_medium, thresholds.absent_days_high
    )
    if level is not None:
        reasons.append(
            RiskReason(
                code=RiskReasonCode.ABSENCES,
                level=level,
                message=f"Absent {figures.absent_days} of the last {window} days.",
                value=figures.absent_days,
                threshold=thresholds.absent_days_high
                if level == RiskLevel.HIGH
                else thresholds.absent_days_medium,
            )
        )
    required = required_watch_seconds(figures=figures, thresholds=thresholds)
    if figures.watch_seconds < required:
        reasons.append(
            RiskReason(
                code=RiskReasonCode.LOW_WATCH_TIME,
                level=RiskLevel.MEDIUM,
                message=f"Watched {_minutes(figures.watch_seconds)} of the course's videos in "
                f"the last {window} days; at least {_minutes(required)} expected.",
                value=figures.watch_seconds,
                threshold=required,
            )
        )
    level = max((reason.level for reason in reasons), key=LEVEL_RANK.__getitem__, default="low")
    return RiskAssessment(level=RiskLevel(level), reasons=reasons)


@dataclass(frozen=True)
class StudentRisk:
    """One student's level in a course, with the figures it was judged on."""

    student: User
    window: RiskWindow
    figures: RiskFigures
    level: str
    reasons: list[RiskReason]
    required_watch_seconds: int


def course_risks(
    *,
    course_id: int,
    thresholds: RiskThresholds,
    today: date | None = None,
    user_id: int | None = None,
) -> list[StudentRisk]:
    """Every active student of the course (only `user_id` when given; empty when they are
    not one) judged over the window ending `today` (default: today in TIME_ZONE), highest
    level first, then the most reasons, then by user id.

    Four queries whatever the number of students: the enrollments with their users, the
    quiz answers per student, the absent days per student and the watch time per student
    (the last three filtered by the enrollments as a subquery, never a list of ids)."""
    window = risk_window(days=thresholds.window_days, today=today)
    enrollments = list(
        course_selectors.course_student_enrollments(course_id=course_id, user_id=user_id)
    )
    if not enrollments:
        return []
    student_ids = course_selectors.course_student_enrollments(
        course_id=course_id, user_id=user_id
    ).values_list("user_id", flat=True)
    answers = course_selectors.wrong_answer_share(
        course_id=course_id, user_ids=student_ids, since=window.starts_at
    )
    attendance = attendance_selectors.attendance_summary(
        course_id=course_id, user_ids=student_ids, since=window.date_from
    )
    risks: list[StudentRisk] = []
    for enrollment in enrollments:
        quiz = answers.get(enrollment.user_id, {"answered": 0, "wrong": 0})
        days = attendance.get(enrollment.user_id, {"absent_days": 0, "watch_seconds": 0})
        enrolled_on = timezone.localdate(enrollment.enrolled_at)
        figures = RiskFigures(
            answered=quiz["answered"],
            wrong=quiz["wrong"],
            absent_days=days["absent_days"],
            watch_seconds=days["watch_seconds"],
            days_enrolled=min(window.days, max(1, (window.date_to - enrolled_on).days + 1)),
        )
        assessment = risk_assess(figures=figures, thresholds=thresholds)
        risks.append(
            StudentRisk(
                student=enrollment.user,
                window=window,
                figures=figures,
                level=assessment.level,
                reasons=assessment.reasons,
                required_watch_seconds=required_watch_seconds(
                    figures=figures, thresholds=thresholds
                ),
            )
        )
    risks.sort(key=lambda risk: (-LEVEL_RANK[risk.level], -len(risk.reasons), risk.student.pk))
    return risks

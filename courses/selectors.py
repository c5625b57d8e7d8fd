"""Reads of the courses app. Other apps use these (never `courses.models`) to check who
may see a course and who is enrolled in it."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from config.search import SearchHit, ranked, snippet
from courses.models import Course, CourseInvitation, Enrollment, Question, Quiz, StudentAnswer

# The weighted fields of course search. The GIN index of migration 0002 is built on exactly
# this vector; change both together.
COURSE_SEARCH_WEIGHTS = {"title": "A", "description": "B", "context": "C"}

__all__ = [
    "Course",
    "CourseAccess",
    "Enrollment",
    "course_access",
    "course_count_published",
    "course_get",
    "course_get_by_code",
    "course_get_by_playlist",
    "course_get_visible",
    "course_ids_watchable_by",
    "course_ids_with_questions",
    "course_is_managed_by",
    "course_list",
    "course_search",
    "course_student_enrollments",
    "course_students",
    "course_visible_queryset",
    "enrollment_active_course_ids",
    "enrollment_count_active",
    "enrollment_counts_active",
    "enrollment_get",
    "enrollment_is_active",
    "enrollment_student_ids_on",
    "invitation_exists",
    "personal_data_export",
    "question_get",
    "questions_for_course",
    "questions_matching",
    "quiz_exists",
    "student_ids_taught_by",
    "wrong_answer_share",
    "wrong_answers",
]


def course_visible_queryset(*, user: User) -> QuerySet[Course]:
    """Courses the user may see: staff see all; everyone else sees published courses, the
    courses they teach and the courses they have an enrollment in (of any status, so that
    an archived course stays reachable to its students)."""
    courses = Course.objects.all()
    if user.is_staff:
        return courses
    has_enrollment = Exists(Enrollment.objects.filter(course=OuterRef("pk"), user_id=user.pk))
    return courses.filter(
        Q(status=Course.Status.PUBLISHED) | Q(instructor_id=user.pk) | has_enrollment
    )


def _available_video_totals() -> tuple[Coalesce, Coalesce]:
    """The number and the total duration of a course's available videos, as correlated
    subqueries: evaluated only for the rows a page returns (an index scan of one course's
    videos each), and left out of the page count, where a join with every video and a GROUP
    BY would be computed for every visible course."""
    video_model = Course._meta.get_field("videos").related_model
    available = (
        video_model._default_manager.filter(course=OuterRef("pk"), is_available=True)
        .order_by()
        .values("course")
    )
    count = Subquery(available.annotate(total=Count("pk")).values("total"))
    duration = Subquery(available.annotate(total=Sum("duration_seconds")).values("total"))
    return (
        Coalesce(count, 0, output_field=IntegerField()),
        Coalesce(duration, 0, output_field=IntegerField()),
    )


def course_list(*, user: User) -> QuerySet[Course]:
    """Visible courses with `video_count` and `total_duration_seconds` (available videos
    only) and `enrolled` (the user's active enrollment), in one query whatever the number
    of rows."""
    video_count, total_duration = _available_video_totals()
    return (
        course_visible_queryset(user=user)
        .select_related("instructor")
        .annotate(
            video_count=video_count,
            total_duration_seconds=total_duration,
            enrolled=Exists(
                Enrollment.objects.filter(
                    course=OuterRef("pk"), user_id=user.pk, status=Enrollment.Status.ACTIVE
                )
            ),
        )
    )


def course_get_visible(*, user: User, course_id: int) -> Course | None:
    """One visible course with the same annotations as `course_list`, or None."""
    return course_list(user=user).filter(pk=course_id).first()


def course_count_published() -> int:
    """How many courses are published (the platform's public course count)."""
    return Course.objects.filter(status=Course.Status.PUBLISHED).count()


def course_get(*, course_id: int) -> Course | None:
    return Course.objects.filter(pk=course_id).first()


def course_get_by_code(*, code: str) -> Course | None:
    return Course.objects.filter(code__iexact=code).first()


def course_get_by_playlist(*, playlist_id: str) -> Course | None:
    if not playlist_id:
        return None
    return Course.objects.filter(playlist_id=playlist_id).first()


def course_is_managed_by(*, course: Course, user: User) -> bool:
    """The instructor and staff manage a course (edit it, its videos, its context)."""
    return user.is_staff or course.instructor_id == user.pk


@dataclass(frozen=True)
class CourseAccess:
    """What one user may do with one course they can see."""

    course: Course
    is_manager: bool
    is_enrolled: bool

    @property
    def can_watch(self) -> bool:
        """Enrolled students (active enrollment), the instructor and staff see the videos."""
        return self.is_manager or self.is_enrolled


def course_access(*, user: User, course_id: int) -> CourseAccess | None:
    """The course and the user's standing in it, in one query; None when the user may not
    see the course (callers answer 404)."""
    course = (
        course_visible_queryset(user=user)
        .annotate(
            is_enrolled=Exists(
                Enrollment.objects.filter(
                    course=OuterRef("pk"), user_id=user.pk, status=Enrollment.Status.ACTIVE
                )
            )
        )
        .filter(pk=course_id)
        .first()
    )
    if course is None:
        return None
    return CourseAccess(
        course=course,
        is_manager=course_is_managed_by(course=course, user=user),
        is_enrolled=bool(course.is_enrolled),  # type: ignore[attr-defined]
    )


def course_ids_watchable_by(*, user: User) -> QuerySet[Course, int]:
    """Ids of the courses whose videos the user may see, as a subquery: every course for
    staff; otherwise the courses they teach or hold an active enrollment in."""
    if user.is_staff:
        return Course.objects.values_list("pk", flat=True)
    enrolled = Exists(
        Enrollment.objects.filter(
            course=OuterRef("pk"), user_id=user.pk, status=Enrollment.Status.ACTIVE
        )
    )
    return Course.objects.filter(Q(instructor_id=user.pk) | enrolled).values_list("pk", flat=True)


def course_students(*, course_id: int) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(course_id=course_id).select_related("user").order_by("id")


def course_student_enrollments(
    *, course_id: int, user_id: int | None = None
) -> QuerySet[Enrollment]:
    """The course's active student enrollments (teaching assistants, dropped and completed
    enrollments left out) of users who can study (active, not deleted), with the user joined,
    in user id order; only `user_id`'s when given."""
    enrollments = Enrollment.objects.filter(
        course_id=course_id,
        status=Enrollment.Status.ACTIVE,
        role=Enrollment.Role.STUDENT,
        user__is_active=True,
        user__deleted_at__isnull=True,
    )
    if user_id is not None:
        enrollments = enrollments.filter(user_id=user_id)
    return enrollments.select_related("user").order_by("user_id")


def enrollment_get(*, user_id: int, course_id: int) -> Enrollment | None:
    return Enrollment.objects.filter(user_id=user_id, course_id=course_id).first()


def enrollment_is_active(*, user_id: int, course_id: int) -> bool:
    """One indexed EXISTS query; for checks on hot paths (progress, quizzes)."""
    return Enrollment.objects.filter(
        user_id=user_id, course_id=course_id, status=Enrollment.Status.ACTIVE
    ).exists()


def enrollment_count_active(*, user_id: int) -> int:
    """How many courses the user is actively enrolled in."""
    return Enrollment.objects.filter(user_id=user_id, status=Enrollment.Status.ACTIVE).count()


def enrollment_counts_active(*, user_ids: list[int]) -> dict[int, int]:
    """Active enrollment counts for many users in one query; users without any are 0."""
    rows = (
        Enrollment.objects.filter(user_id__in=user_ids, status=Enrollment.Status.ACTIVE)
        .values("user_id")
        .annotate(total=Count("id"))
        .values_list("user_id", "total")
    )
    counts = dict.fromkeys(user_ids, 0)
    counts.update(dict(rows))
    return counts


def enrollment_active_course_ids(*, user_id: int) -> QuerySet[Enrollment, int]:
    """Ids of the courses the user holds an active enrollment in, as a subquery."""
    return Enrollment.objects.filter(user_id=user_id, status=Enrollment.Status.ACTIVE).values_list(
        "course_id", flat=True
    )


def enrollment_student_ids_on(*, day: date) -> QuerySet[Enrollment, int]:
    """Distinct ids of the active users expected to study on `day`, as a subquery for
    set-based work (closing a day of attendance): an active student enrollment made on or
    before `day` (TIME_ZONE) in a published course running that day (no start date or
    started, no end date or not yet ended)."""
    end_of_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return (
        Enrollment.objects.filter(
            status=Enrollment.Status.ACTIVE,
            role=Enrollment.Role.STUDENT,
            enrolled_at__lt=end_of_day,
            user__is_active=True,
            user__deleted_at__isnull=True,
            course__status=Course.Status.PUBLISHED,
        )
        .filter(Q(course__start_date__isnull=True) | Q(course__start_date__lte=day))
        .filter(Q(course__end_date__isnull=True) | Q(course__end_date__gte=day))
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )


def student_ids_taught_by(*, instructor_id: int) -> QuerySet[Enrollment, int]:
    """Ids of the users holding an enrollment (of any status) in a course the user teaches,
    as a subquery."""
    return Enrollment.objects.filter(course__instructor_id=instructor_id).values_list(
        "user_id", flat=True
    )


def invitation_exists(*, course_id: int, email: str) -> bool:
    return CourseInvitation.objects.filter(course_id=course_id, email=email.lower()).exists()


def course_search(*, user: User, query: str, limit: int) -> list[SearchHit]:
    """The best `limit` visible courses for `query` (title, description, context)."""
    courses = ranked(
        course_visible_queryset(user=user).only("id", "title", "description", "context"),
        weights=COURSE_SEARCH_WEIGHTS,
        query=query,
    )[:limit]
    return [
        SearchHit(
            type="course",
            id=course.pk,
            course_id=course.pk,
            title=course.title,
            snippet=snippet([course.description, course.context, course.title], query),
            score=float(course.score),  # type: ignore[attr-defined]
        )
        for course in courses
    ]


# --- quiz results ---------------------------------------------------------------------------


def questions_for_course(*, course_id: int, quiz_id: int | None = None) -> QuerySet[Question]:
    """The course's questions with their quiz, in quiz then question order."""
    questions = Question.objects.filter(quiz__course_id=course_id).select_related("quiz")
    if quiz_id is not None:
        questions = questions.filter(quiz_id=quiz_id)
    return questions.order_by("quiz_id", "position", "id")


def questions_matching(
    *,
    course_id: int | None = None,
    quiz_id: int | None = None,
    question_ids: list[int] | None = None,
) -> QuerySet[Question]:
    """Questions narrowed by any of course, quiz and ids (all of them when none is given)."""
    questions = Question.objects.all()
    if course_id is not None:
        questions = questions.filter(quiz__course_id=course_id)
    if quiz_id is not None:
        questions = questions.filter(quiz_id=quiz_id)
    if question_ids is not None:
        questions = questions.filter(pk__in=question_ids)
    return questions.order_by("pk")


def question_get(*, question_id: int) -> Question | None:
    """One question with its quiz and course (for permission checks)."""
    return Question.objects.select_related("quiz__course").filter(pk=question_id).first()


def quiz_exists(*, course_id: int, quiz_id: int) -> bool:
    return Quiz.objects.filter(pk=quiz_id, course_id=course_id).exists()


def wrong_answers(*, course_id: int, user_id: int) -> QuerySet[StudentAnswer]:
    """The user's wrong answers in the course, each with its question and quiz, in quiz then
    question order. Only the user's own rows: callers decide whose `user_id` to pass."""
    return (
        StudentAnswer.objects.filter(
            student_id=user_id, is_correct=False, question__quiz__course_id=course_id
        )
        .select_related("question__quiz")
        .order_by("question__quiz_id", "question__position", "question_id")
    )


def wrong_answer_share(
    *, course_id: int, user_ids: Iterable[int], since: datetime | None
) -> dict[int, dict[str, int]]:
    """How many of the course's questions each user answered, and how many wrong, counting
    answers given at or after `since` (all of them when None), in one query.

    `user_ids` is a list, and then every user in it is in the result (zeros for one without
    answers), or a subquery of ids (a values_list QuerySet, not evaluated), and then only
    the users with answers are."""
    is_subquery = isinstance(user_ids, QuerySet)
    ids = user_ids if is_subquery else list(user_ids)
    answers = StudentAnswer.objects.filter(student_id__in=ids, question__quiz__course_id=course_id)
    if since is not None:
        answers = answers.filter(answered_at__gte=since)
    rows = (
        answers.order_by()
        .values("student_id")
        .annotate(answered=Count("id"), wrong=Count("id", filter=Q(is_correct=False)))
        .values_list("student_id", "answered", "wrong")
    )
    shares = {} if is_subquery else {user_id: {"answered": 0, "wrong": 0} for user_id in ids}
    for student_id, answered, wrong in rows:
        shares[student_id] = {"answered": answered, "wrong": wrong}
    return shares


def course_ids_with_questions() -> list[int]:
    """Courses that have at least one quiz question, in id order."""
    return list(
        Quiz.objects.filter(questions__isnull=False)
        .values_list("course_id", flat=True)
        .distinct()
        .order_by("course_id")
    )


def personal_data_export(*, user: User) -> dict[str, Any]:
    """The courses section of a user's data export: enrollments, quiz answers, invitations
    to their email and the courses they teach, one query each."""
    return {
        "enrollments": list(
            Enrollment.objects.filter(user_id=user.pk)
            .order_by("id")
            .values(
                "course_id",
                "role",
                "status",
                "enrolled_at",
                "dropped_at",
                course_code=F("course__code"),
                course_title=F("course__title"),
            )
        ),
        "quiz_answers": list(
            StudentAnswer.objects.filter(student_id=user.pk)
            .order_by("question__quiz__course_id", "question__quiz_id", "question_id")
            .values(
                "question_id",
                "is_correct",
                "score",
                "answered_at",
                question_text=F("question__text"),
                quiz_id=F("question__quiz_id"),
                quiz_title=F("question__quiz__title"),
                course_id=F("question__quiz__course_id"),
            )
        ),
        "invitations": list(
            CourseInvitation.objects.filter(email__iexact=user.email)
            .order_by("id")
            .values("course_id", "created_at", "accepted_at", course_code=F("course__code"))
        ),
        "courses_taught": list(
            Course.objects.filter(instructor_id=user.pk)
            .order_by("id")
            .values("id", "code", "title", "status", "created_at")
        ),
    }

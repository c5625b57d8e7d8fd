"""One course's quiz results from Canvas into the database.

A sync reads the course's published, unlocked quizzes, their questions, and each
student's latest graded attempt (the quiz's assignment submissions with their history),
decides per question type whether each answer is wrong (`grading`) and upserts everything
(`courses.assessments.assessments_store`). Running it twice stores the same rows.

Students are matched by the LMS user id on their account (`User.lms_user_id`), among the
course's students only; an LMS id that several of them claim matches nobody. Answers of
unmatched students are counted, not stored.

The token is the course instructor's Canvas credential (encrypted store); the course's
`lms_course_id` must be one of the course ids stored with it."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Credential, User
from accounts.selectors import credential_get
from config.celery import send_after_commit
from config.errors import Conflict, DomainError, NotFound
from courses.assessments import AnswerData, QuestionData, QuizData, assessments_store
from courses.lms import grading
from courses.lms.client import CanvasClient, CanvasError, CanvasTransientError
from courses.lms.safety import UnsafeLink
from courses.models import Course, Enrollment, LMSSync, Quiz

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
ClientFactory = Callable[..., CanvasClient]
PROVIDER = Credential.Provider.CANVAS


class LMSNotReady(DomainError):
    """The course cannot be synced yet: not linked, or no usable token."""

    status_code = 409
    code = "lms_not_ready"


def _token_for(course: Course) -> tuple[str, str]:
    """The instructor's Canvas token and base URL, or LMSNotReady saying what is missing."""
    if not course.lms_course_id:
        raise LMSNotReady("The course is not linked to an LMS course.", code="lms_not_linked")
    credential = credential_get(user=course.instructor, provider=PROVIDER)
    if credential is None:
        raise LMSNotReady(
            "The course's instructor has not stored a Canvas token.", code="lms_token_missing"
        )
    course_ids = [str(value) for value in credential.extra.get("course_ids", [])]
    if course.lms_course_id not in course_ids:
        raise LMSNotReady(
            "The course's LMS id is not among the course ids stored with the instructor's token.",
            code="lms_course_not_in_token",
        )
    return credential.access_token, str(credential.extra.get("link", ""))


def lms_sync_check(*, course: Course) -> None:
    """Raise LMSNotReady now rather than in the background."""
    _token_for(course)


@transaction.atomic
def lms_sync_create(*, course: Course, requested_by: User | None = None) -> LMSSync:
    """A queued sync for the course; 409 `lms_sync_in_progress` while one is queued or
    running (so that repeated clicks and the nightly run do not pile up)."""
    lms_sync_check(course=course)
    Course.objects.select_for_update().filter(pk=course.pk).first()
    active = LMSSync.objects.filter(
        course=course, status__in=[LMSSync.Status.QUEUED, LMSSync.Status.RUNNING]
    ).first()
    if active is None:
        return LMSSync.objects.create(course=course, requested_by=requested_by)
    if _is_lost(active, timezone.now()):
        # Its message never reached a worker (broker down) or its worker died: hand the
        # same record out again, for the caller to send its task once more.
        LMSSync.objects.filter(pk=active.pk).update(updated_at=timezone.now())
        logger.warning("LMS sync %s was lost; sending it again", active.pk)
        return active
    raise Conflict("A sync of this course is already queued.", code="lms_sync_in_progress")


def _is_lost(record: LMSSync, now: datetime) -> bool:
    """A queued sync untouched for longer than the longest retry countdown plus the hard
    time limit, or a running one started longer ago than the hard time limit: no worker
    will finish it unless its task is sent again."""
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    if record.status == LMSSync.Status.RUNNING:
        return record.started_at is None or record.started_at < now - limit
    return record.updated_at < now - limit - timedelta(seconds=settings.LMS_SYNC_RETRY_MAX)


def _send_run_task(sync_id: int) -> None:
    """Publish the sync's task after commit. A broker that is down leaves the sync queued;
    the next request or the nightly run sends it again once it counts as lost."""
    from courses.tasks import lms_sync_run_task

    send_after_commit(lms_sync_run_task, sync_id, lost=f"sync {sync_id} waits for the next request")


@transaction.atomic
def lms_sync_request(*, course: Course, requested_by: User | None = None) -> LMSSync:
    """Record a queued sync and start it in the background once committed."""
    record = lms_sync_create(course=course, requested_by=requested_by)
    _send_run_task(record.pk)
    return record


def lms_sync_retry_countdown(attempt: int) -> int:
    """Seconds before retry number `attempt + 1`: doubling from the base, capped."""
    return int(min(settings.LMS_SYNC_RETRY_BACKOFF * 2**attempt, settings.LMS_SYNC_RETRY_MAX))


def _claim(sync_id: int) -> bool:
    """Take a queued sync (or one whose worker died past the hard time limit) by a
    conditional update, so that a duplicate delivery of the task does nothing."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(status=LMSSync.Status.QUEUED) | Q(
        status=LMSSync.Status.RUNNING, started_at__lt=stale
    )
    return bool(
        LMSSync.objects.filter(claimable, pk=sync_id).update(
            status=LMSSync.Status.RUNNING,
            started_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )


def lms_sync_fail(*, sync_id: int, error: str) -> None:
    now = timezone.now()
    LMSSync.objects.filter(
        pk=sync_id, status__in=[LMSSync.Status.QUEUED, LMSSync.Status.RUNNING]
    ).update(status=LMSSync.Status.FAILED, error=error[:2000], finished_at=now, updated_at=now)


def lms_sync_requeue(*, sync_id: int, error: str) -> None:
    LMSSync.objects.filter(pk=sync_id, status=LMSSync.Status.RUNNING).update(
        status=LMSSync.Status.QUEUED, error=error[:2000], updated_at=timezone.now()
    )


def lms_sync_run(
    *,
    sync_id: int,
    progress: Progress | None = None,
    client_factory: ClientFactory = CanvasClient,
) -> LMSSync:
    """Fetch and store; the sync ends succeeded or failed. `CanvasTransientError` is
    raised for the caller to retry (the sync stays running until requeued or failed).
    Running a sync that is not queued does nothing (a duplicate task)."""
    if not _claim(sync_id):
        return LMSSync.objects.get(pk=sync_id)
    record = LMSSync.objects.select_related("course__instructor").get(pk=sync_id)
    course = record.course
    try:
        token, link = _token_for(course)
        client = client_factory(base_url=link, token=token)
        quizzes, unmatched = fetch_course(client=client, course=course, progress=progress)
    except CanvasTransientError:
        raise
    except (CanvasError, DomainError, UnsafeLink) as exc:
        lms_sync_fail(sync_id=sync_id, error=getattr(exc, "message", None) or str(exc))
        record.refresh_from_db()
        return record
    result = assessments_store(course=course, source=Quiz.Source.CANVAS, quizzes=quizzes)
    now = timezone.now()
    with transaction.atomic():
        LMSSync.objects.filter(pk=sync_id).update(
            status=LMSSync.Status.SUCCEEDED,
            quizzes=result.quizzes,
            questions=result.questions,
            answers=result.answers,
            unmatched_students=unmatched,
            error="",
            finished_at=now,
            updated_at=now,
        )
        Course.objects.filter(pk=course.pk).update(lms_synced_at=now)
    logger.info(
        "LMS sync %s of course %s: %d quizzes, %d questions, %d answers, %d unmatched",
        sync_id,
        course.pk,
        result.quizzes,
        result.questions,
        result.answers,
        unmatched,
    )
    record.refresh_from_db()
    return record


# --- reading Canvas ---------------------------------------------------------------------------


def _is_available(quiz: dict[str, Any], now: datetime) -> bool:
    """Published, not locked for the token's user, and open (unlock date passed)."""
    if not quiz.get("published") or quiz.get("locked_for_user"):
        return False
    unlock_at = parse_datetime(quiz["unlock_at"]) if quiz.get("unlock_at") else None
    return unlock_at is None or unlock_at <= now


def _latest_attempt(submission: dict[str, Any]) -> dict[str, Any] | None:
    """The latest attempt that carries per-question results."""
    attempts = [
        entry
        for entry in submission.get("submission_history") or []
        if isinstance(entry, dict) and isinstance(entry.get("submission_data"), list)
    ]
    if not attempts:
        return None
    return max(attempts, key=lambda entry: int(entry.get("attempt") or 0))


def _students_by_lms_id(*, course: Course, lms_user_ids: set[str]) -> dict[str, int]:
    """The course's students (an enrollment of any status) by LMS user id, in one query;
    an id claimed by more than one account is left out."""
    rows = User.objects.filter(
        lms_user_id__in=lms_user_ids,
        deleted_at__isnull=True,
        pk__in=Enrollment.objects.filter(course_id=course.pk, role=Enrollment.Role.STUDENT).values(
            "user_id"
        ),
    ).values_list("lms_user_id", "pk")
    matched: dict[str, int] = {}
    ambiguous: set[str] = set()
    for lms_user_id, pk in rows:
        if lms_user_id in matched:
            ambiguous.add(lms_user_id)
        matched[lms_user_id] = pk
    for lms_user_id in ambiguous:
        logger.warning("LMS user id %s is claimed by several accounts; skipped", lms_user_id)
        del matched[lms_user_id]
    return matched


def _question(raw: dict[str, Any], position: int) -> QuestionData | None:
    kind = grading.question_type(str(raw.get("question_type", "")))
    if kind is None or raw.get("id") is None:
        return None
    text = grading.strip_html(str(raw.get("question_text") or "")) or str(
        raw.get("question_name") or ""
    )
    return QuestionData(
        lms_id=str(raw["id"]),
        position=int(raw.get("position") or position),
        text=text,
        question_type=kind,
        points_possible=max(0.0, float(raw.get("points_possible") or 0.0)),
    )


def fetch_course(
    *, client: CanvasClient, course: Course, progress: Progress | None = None
) -> tuple[list[QuizData], int]:
    """The course's quizzes with questions and matched answers, and how many students with
    submissions could not be matched to an account."""
    now = timezone.now()
    lms_course = course.lms_course_id
    quizzes = [quiz for quiz in client.quizzes(lms_course) if _is_available(quiz, now)]
    fetched: list[tuple[dict[str, Any], list[QuestionData], list[dict[str, Any]]]] = []
    for done, quiz in enumerate(quizzes, start=1):
        quiz_id = str(quiz["id"])
        questions = [
            question
            for position, raw in enumerate(client.quiz_questions(lms_course, quiz_id))
            for question in [_question(raw, position)]
            if question is not None
        ]
        assignment_id = quiz.get("assignment_id")
        submissions = (
            client.assignment_submissions(lms_course, str(assignment_id)) if assignment_id else []
        )
        fetched.append((quiz, questions, submissions))
        if progress is not None:
            progress("quizzes", done, len(quizzes))
    lms_user_ids = {
        str(submission["user_id"])
        for _, _, submissions in fetched
        for submission in submissions
        if submission.get("user_id") is not None
    }
    students = _students_by_lms_id(course=course, lms_user_ids=lms_user_ids)
    unmatched: set[str] = set()
    result: list[QuizData] = []
    for quiz, questions, submissions in fetched:
        by_id = {question.lms_id: question for question in questions}
        for submission in submissions:
            _add_answers(submission, by_id=by_id, students=students, unmatched=unmatched)
        result.append(
            QuizData(
                lms_id=str(quiz["id"]), title=str(quiz.get("title") or ""), questions=questions
            )
        )
    return result, len(unmatched)


def _add_answers(
    submission: dict[str, Any],
    *,
    by_id: dict[str, QuestionData],
    students: dict[str, int],
    unmatched: set[str],
) -> None:
    attempt = _latest_attempt(submission)
    if attempt is None or submission.get("user_id") is None:
        return
    lms_user_id = str(submission["user_id"])
    student_id = students.get(lms_user_id)
    if student_id is None:
        unmatched.add(lms_user_id)
        return
    answered_raw = attempt.get("submitted_at") or attempt.get("graded_at")
    answered_at = (parse_datetime(answered_raw) if answered_raw else None) or timezone.now()
    pending_review = attempt.get("workflow_state") == "pending_review"
    for entry in attempt["submission_data"]:
        if not isinstance(entry, dict):
            continue
        question = by_id.get(str(entry.get("question_id")))
        if question is None:
            continue
        result = grading.verdict(
            kind=question.question_type,
            points_possible=question.points_possible,
            entry=entry,
            pending_review=pending_review,
        )
        if result is None:
            continue
        question.answers.append(
            AnswerData(
                student_id=student_id,
                is_correct=result.is_correct,
                score=result.score,
                answered_at=answered_at,
            )
        )


def lms_courses_to_sync() -> list[Course]:
    """Linked courses that are not archived, for the nightly run."""
    return list(
        Course.objects.filter(~Q(lms_course_id=""))
        .exclude(status=Course.Status.ARCHIVED)
        .select_related("instructor")
        .order_by("pk")
    )


def lms_sync_get_latest(*, course_id: int) -> LMSSync:
    record = LMSSync.objects.filter(course_id=course_id).order_by("-created_at", "-id").first()
    if record is None:
        raise NotFound("This course was never synced.", code="lms_never_synced")
    return record

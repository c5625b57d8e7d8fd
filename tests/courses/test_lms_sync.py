"""The LMS sync end to end on recorded Canvas responses: which quizzes, questions and wrong
answers are stored, idempotence, matching students, and the task's retries."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.services import credential_store
from courses.lms import sync
from courses.models import Course, LMSSync, Question, Quiz, StudentAnswer
from courses.tasks import lms_sync_all_task, lms_sync_run_task
from tests.accounts.factories import StudentFactory
from tests.courses import canvas
from tests.courses.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

QUIZZES = f"{canvas.BASE}/api/v1/courses/{canvas.LMS_COURSE}/quizzes"


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.LMS_RETRY_BACKOFF = 0
    settings.LMS_RETRY_BACKOFF_MAX = 0
    settings.LMS_MAX_RETRIES = 2


@pytest.fixture
def course(mentor):
    course = CourseFactory(instructor=mentor, code="MATH101", lms_course_id=canvas.LMS_COURSE)
    credential_store(
        user=mentor,
        provider="canvas",
        access_token="canvas-token-0001",
        extra={"link": canvas.BASE, "course_ids": [canvas.LMS_COURSE, "77"]},
    )
    return course


@pytest.fixture
def alice(course):
    return EnrollmentFactory(course=course, user=StudentFactory(lms_user_id="5001")).user


@pytest.fixture
def bob(course):
    return EnrollmentFactory(course=course, user=StudentFactory(lms_user_id="5002")).user


def run(course):
    record = sync.lms_sync_create(course=course)
    return sync.lms_sync_run(sync_id=record.pk)


def answers_of(user):
    return {
        answer.question.lms_id: (answer.is_correct, answer.score)
        for answer in StudentAnswer.objects.filter(student=user).select_related("question")
    }


def test_sync_stores_available_quizzes_questions_and_verdicts(canvas_api, course, alice, bob):
    canvas.add_course(canvas_api)

    record = run(course)

    assert (record.status, record.error) == (LMSSync.Status.SUCCEEDED, "")
    assert (record.quizzes, record.questions, record.unmatched_students) == (2, 12, 1)
    # Unpublished (102), locked (103) and not yet open (104) quizzes are left out.
    assert sorted(Quiz.objects.values_list("lms_id", "title", "source")) == [
        ("101", "Week 2 quiz: derivatives", "canvas"),
        ("105", "Practice: limits", "canvas"),
    ]
    questions = {q.lms_id: q for q in Question.objects.filter(quiz__lms_id="101")}
    assert "2011" not in questions  # text-only item
    assert questions["2001"].text == "What is the derivative of x3?"
    assert questions["2009"].text == (
        "Explain in your own words why the derivative of position is velocity."
    )
    assert questions["2008"].question_type == "matching"
    assert questions["2005"].points_possible == 2.0
    # Alice's latest attempt counts: below full credit on the essay and the calculation.
    assert answers_of(alice) == {
        "2001": (True, 1.0),
        "2002": (True, 1.0),
        "2003": (True, 1.0),
        "2004": (True, 1.0),
        "2005": (True, 2.0),
        "2006": (True, 2.0),
        "2007": (True, 2.0),
        "2008": (True, 3.0),
        "2009": (False, 4.0),
        "2010": (False, 1.5),
        "2012": (True, 2.0),
    }
    # Bob's essay and upload await grading: no verdict yet.
    assert answers_of(bob) == {
        "2001": (False, 0.0),
        "2002": (True, 1.0),
        "2003": (False, 0.0),
        "2004": (False, 0.0),
        "2005": (False, 1.0),
        "2006": (False, 1.0),
        "2007": (True, 2.0),
        "2008": (False, 0.0),
        "2010": (True, 2.0),
    }
    answered = StudentAnswer.objects.get(student=alice, question__lms_id="2001").answered_at
    assert answered == datetime(2026, 10, 9, 10, 30, tzinfo=UTC)
    assert record.answers == 20
    course.refresh_from_db()
    assert course.lms_synced_at is not None


def test_sync_is_idempotent(canvas_api, course, alice, bob):
    canvas.add_course(canvas_api)
    run(course)
    first = sorted(
        StudentAnswer.objects.values_list("id", "student_id", "question_id", "is_correct", "score")
    )
    question_ids = sorted(Question.objects.values_list("id", flat=True))

    record = run(course)

    assert record.status == LMSSync.Status.SUCCEEDED
    assert sorted(Question.objects.values_list("id", flat=True)) == question_ids
    assert Quiz.objects.count() == 2
    assert (
        sorted(
            StudentAnswer.objects.values_list(
                "id", "student_id", "question_id", "is_correct", "score"
            )
        )
        == first
    )


def test_students_are_matched_only_within_the_course_and_unambiguously(canvas_api, course):
    canvas.add_course(canvas_api)
    outsider = StudentFactory(lms_user_id="5001")  # not enrolled in this course
    twin_a = EnrollmentFactory(course=course, user=StudentFactory(lms_user_id="5002")).user
    twin_b = EnrollmentFactory(course=course, user=StudentFactory(lms_user_id="5002")).user

    record = run(course)

    assert record.unmatched_students == 3
    assert StudentAnswer.objects.filter(student__in=[outsider, twin_a, twin_b]).count() == 0


def test_sync_retries_throttled_requests(canvas_api, course, alice):
    canvas_api.get(QUIZZES, status=403, body="403 Forbidden (Rate Limit Exceeded)")
    canvas.add_course(canvas_api)

    record = run(course)

    assert record.status == LMSSync.Status.SUCCEEDED
    assert StudentAnswer.objects.filter(student=alice).count() == 11


def test_a_refused_token_fails_the_sync_and_stores_nothing(canvas_api, course):
    canvas_api.get(QUIZZES, status=401, json={"errors": [{"message": "Invalid access token."}]})

    record = run(course)

    assert record.status == LMSSync.Status.FAILED
    assert record.error == "Canvas refused the token: Invalid access token."
    assert Quiz.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"lms_course_id": ""}, "lms_not_linked"),
        ({"lms_course_id": "999"}, "lms_course_not_in_token"),
    ],
)
def test_a_course_that_is_not_ready_cannot_be_queued(course, change, code):
    Course.objects.filter(pk=course.pk).update(**change)
    course.refresh_from_db()

    with pytest.raises(sync.LMSNotReady) as caught:
        sync.lms_sync_create(course=course)

    assert caught.value.code == code
    assert LMSSync.objects.count() == 0


def test_without_a_token_the_sync_cannot_be_queued(mentor):
    course = CourseFactory(instructor=mentor, lms_course_id="1")

    with pytest.raises(sync.LMSNotReady) as caught:
        sync.lms_sync_create(course=course)

    assert caught.value.code == "lms_token_missing"


def test_only_one_sync_per_course_is_queued_at_a_time(course):
    sync.lms_sync_create(course=course)

    with pytest.raises(sync.Conflict) as caught:
        sync.lms_sync_create(course=course)

    assert caught.value.code == "lms_sync_in_progress"
    assert LMSSync.objects.count() == 1


def test_running_a_finished_sync_again_does_nothing(canvas_api, course, alice):
    canvas.add_course(canvas_api)
    record = run(course)
    calls = len(canvas_api.calls)

    again = sync.lms_sync_run(sync_id=record.pk)

    assert again.status == LMSSync.Status.SUCCEEDED
    assert len(canvas_api.calls) == calls


def run_as_worker(sync_id: int) -> list[float]:
    """Run the task the way a worker does: each Retry is delivered again with the retry
    count raised. Returns the countdowns asked for."""
    countdowns = []
    retries = 0
    while True:
        try:
            lms_sync_run_task.apply(args=[sync_id], retries=retries, throw=True)
            return countdowns
        except Retry as retry:
            countdowns.append(retry.when)
            retries += 1


def test_the_task_requeues_with_the_reason(canvas_api, course, settings):
    settings.LMS_SYNC_RETRY_BACKOFF = 300
    for _ in range(3):
        canvas_api.get(QUIZZES, status=503)
    record = sync.lms_sync_create(course=course)

    with pytest.raises(Retry):
        lms_sync_run_task.apply(args=[record.pk], throw=True)

    record.refresh_from_db()
    assert record.status == LMSSync.Status.QUEUED
    assert record.error == ("Canvas answered 503; gave up after 3 attempts. Retrying in 300 s.")


def test_the_task_retries_with_backoff_then_succeeds(canvas_api, course, alice, settings):
    settings.LMS_SYNC_RETRY_BACKOFF = 300
    for _ in range(3):
        canvas_api.get(QUIZZES, status=503)
    canvas.add_course(canvas_api)
    record = sync.lms_sync_create(course=course)

    assert run_as_worker(record.pk) == [300]

    record.refresh_from_db()
    assert (record.status, record.attempts, record.error) == (LMSSync.Status.SUCCEEDED, 2, "")


def test_the_task_fails_the_sync_once_retries_run_out(canvas_api, course, settings):
    settings.LMS_SYNC_MAX_RETRIES = 1
    settings.LMS_SYNC_RETRY_BACKOFF = 300
    for _ in range(6):
        canvas_api.get(QUIZZES, status=503)
    record = sync.lms_sync_create(course=course)

    assert run_as_worker(record.pk) == [300]

    record.refresh_from_db()
    assert record.status == LMSSync.Status.FAILED
    assert record.attempts == 2
    assert record.error.endswith("Gave up after 2 runs.")
    assert len(canvas_api.calls) == 6


def test_the_nightly_task_queues_every_ready_course_once(
    canvas_api, course, alice, mentor, django_capture_on_commit_callbacks
):
    canvas.add_course(canvas_api)
    CourseFactory(instructor=mentor, lms_course_id="")  # not linked
    CourseFactory(instructor=mentor, lms_course_id="555")  # not in the token: skipped
    CourseFactory(instructor=mentor, lms_course_id=canvas.LMS_COURSE, status=Course.Status.ARCHIVED)

    with django_capture_on_commit_callbacks(execute=True):
        queued = lms_sync_all_task.delay().get()

    assert queued == 1
    assert list(LMSSync.objects.values_list("course_id", "status")) == [
        (course.pk, LMSSync.Status.SUCCEEDED)
    ]


def test_the_sync_announces_new_results_after_commit(
    canvas_api, course, alice, django_capture_on_commit_callbacks
):
    canvas.add_course(canvas_api)
    received = []

    def receiver(sender, course_id, **kwargs):
        received.append(course_id)

    from courses.signals import assessments_changed

    assessments_changed.connect(receiver, dispatch_uid="test-receiver")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            run(course)
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        assessments_changed.disconnect(dispatch_uid="test-receiver")

    assert received == [course.pk]


def test_sync_lms_command_shows_progress(canvas_api, course, alice):
    canvas.add_course(canvas_api)
    out = StringIO()

    call_command("sync_lms", "--course", "math101", stdout=out)

    output = out.getvalue()
    assert "MATH101      quizzes  [###############...............]    1/2" in output
    assert "MATH101      quizzes  [##############################]    2/2" in output
    assert "MATH101: 2 quiz(zes), 12 question(s), 11 answer(s); 2 student(s) not matched." in (
        output
    )


def test_sync_lms_command_reports_failures(course, mentor):
    Course.objects.filter(pk=course.pk).update(lms_course_id="999")
    err = StringIO()

    with pytest.raises(CommandError, match="1 of 1 sync"):
        call_command("sync_lms", stdout=StringIO(), stderr=err)

    assert "not among the course ids" in err.getvalue()


def test_sync_lms_command_refuses_an_unknown_course():
    with pytest.raises(CommandError, match="No course with code 'NOPE'"):
        call_command("sync_lms", "--course", "NOPE")

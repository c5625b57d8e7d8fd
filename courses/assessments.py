"""Writes of quiz results: the upsert shared by the LMS sync and the upload, and the
upload itself (all or nothing).

Rows are upserted on their unique constraints (quiz per course and source, question per
quiz, answer per student and question), so storing the same results twice changes
nothing but `updated_at`. Questions and quizzes that vanish from the LMS are kept: their
answers are the students' history. After a store commits, `assessments_changed` is sent."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from config.errors import ValidationFailed
from courses import signals
from courses.lms.grading import FULL_CREDIT_TOLERANCE
from courses.models import Course, Enrollment, Question, Quiz, StudentAnswer

BATCH_SIZE = 500
MAX_UPLOAD_ANSWERS = 20_000


@dataclass
class AnswerData:
    student_id: int
    is_correct: bool
    score: float
    answered_at: datetime


@dataclass
class QuestionData:
    lms_id: str
    position: int
    text: str
    question_type: str
    points_possible: float
    answers: list[AnswerData] = field(default_factory=list)


@dataclass
class QuizData:
    lms_id: str
    title: str
    questions: list[QuestionData] = field(default_factory=list)


@dataclass(frozen=True)
class StoreResult:
    quizzes: int
    questions: int
    answers: int


def _announce(course_id: int) -> None:
    transaction.on_commit(
        lambda: signals.assessments_changed.send(sender=Quiz, course_id=course_id)
    )


@transaction.atomic
def assessments_store(*, course: Course, source: str, quizzes: list[QuizData]) -> StoreResult:
    """Upsert quizzes, their questions and the students' answers in a bounded number of
    queries (three upserts and two id look-ups, whatever the counts)."""
    now = timezone.now()
    quizzes = list({quiz.lms_id: quiz for quiz in quizzes}.values())
    for quiz in quizzes:
        quiz.questions = list({question.lms_id: question for question in quiz.questions}.values())
    Quiz.objects.bulk_create(
        [
            Quiz(course=course, source=source, lms_id=quiz.lms_id, title=quiz.title[:300])
            for quiz in quizzes
        ],
        update_conflicts=True,
        unique_fields=["course", "source", "lms_id"],
        update_fields=["title", "updated_at"],
        batch_size=BATCH_SIZE,
    )
    quiz_ids = dict(
        Quiz.objects.filter(
            course=course, source=source, lms_id__in=[quiz.lms_id for quiz in quizzes]
        ).values_list("lms_id", "id")
    )
    questions = [
        Question(
            quiz_id=quiz_ids[quiz.lms_id],
            lms_id=question.lms_id,
            position=question.position,
            text=question.text,
            question_type=question.question_type,
            points_possible=question.points_possible,
        )
        for quiz in quizzes
        for question in quiz.questions
    ]
    Question.objects.bulk_create(
        questions,
        update_conflicts=True,
        unique_fields=["quiz", "lms_id"],
        update_fields=["position", "text", "question_type", "points_possible", "updated_at"],
        batch_size=BATCH_SIZE,
    )
    wanted = Q(pk__in=[])
    for quiz in quizzes:
        wanted |= Q(
            quiz_id=quiz_ids[quiz.lms_id],
            lms_id__in=[question.lms_id for question in quiz.questions],
        )
    question_ids = {
        (quiz_id, lms_id): pk
        for pk, quiz_id, lms_id in Question.objects.filter(wanted).values_list(
            "id", "quiz_id", "lms_id"
        )
    }
    # One row per key in each upsert statement (PostgreSQL refuses to update a row twice in
    # one ON CONFLICT statement): the last answer given for a student and question wins.
    answers = {
        (answer.student_id, question_ids[(quiz_ids[quiz.lms_id], question.lms_id)]): answer
        for quiz in quizzes
        for question in quiz.questions
        for answer in question.answers
    }
    StudentAnswer.objects.bulk_create(
        [
            StudentAnswer(
                student_id=student_id,
                question_id=question_id,
                is_correct=answer.is_correct,
                score=answer.score,
                answered_at=answer.answered_at,
                updated_at=now,
            )
            for (student_id, question_id), answer in answers.items()
        ],
        update_conflicts=True,
        unique_fields=["student", "question"],
        update_fields=["is_correct", "score", "answered_at", "updated_at"],
        batch_size=BATCH_SIZE,
    )
    _announce(course.pk)
    return StoreResult(quizzes=len(quizzes), questions=len(questions), answers=len(answers))


# --- upload ---------------------------------------------------------------------------------


def _duplicates(values: Iterable[Any]) -> set[Any]:
    seen: set[Any] = set()
    repeated: set[Any] = set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return repeated


def _is_student_of(course_id: int) -> Q:
    """Users with a student enrollment in the course, of any status (a dropped student's
    past results still belong to them)."""
    return Q(
        pk__in=Enrollment.objects.filter(course_id=course_id, role=Enrollment.Role.STUDENT).values(
            "user_id"
        )
    )


def _students_by_reference(
    *, course: Course, student_ids: set[int], lms_user_ids: set[str]
) -> tuple[dict[int, int], dict[str, int], set[str]]:
    """Platform ids and LMS ids of the course's students (an enrollment of any status)
    mapped to user ids, in one query; plus the LMS ids that more than one of them claims."""
    enrolled = User.objects.filter(_is_student_of(course.pk), deleted_at__isnull=True).filter(
        Q(pk__in=student_ids) | Q(lms_user_id__in=lms_user_ids)
    )
    by_id: dict[int, int] = {}
    by_lms: dict[str, int] = {}
    ambiguous: set[str] = set()
    for pk, lms_user_id in enrolled.values_list("pk", "lms_user_id"):
        if pk in student_ids:
            by_id[pk] = pk
        if lms_user_id and lms_user_id in lms_user_ids:
            if lms_user_id in by_lms:
                ambiguous.add(lms_user_id)
            by_lms[lms_user_id] = pk
    return by_id, by_lms, ambiguous


@transaction.atomic
def assessment_upload(
    *, course: Course, acting_user: User, document: dict[str, Any]
) -> StoreResult:
    """Store an uploaded results document (already shaped by the API serializer): every
    quiz, question and answer, or nothing. Refused with 400 and the failing paths when an
    id repeats, a student is not one of the course's students (by `student_id`, or
    `lms_user_id` matched on the account), an LMS id matches several accounts, or a score
    is above the question's points."""
    errors: dict[str, list[str]] = {}
    quizzes_in = document["quizzes"]
    for quiz_id in _duplicates(quiz["id"] for quiz in quizzes_in):
        errors.setdefault("quizzes", []).append(f"Quiz id {quiz_id!r} appears more than once.")
    student_ids: set[int] = set()
    lms_user_ids: set[str] = set()
    total_answers = 0
    for quiz in quizzes_in:
        for question in quiz["questions"]:
            for answer in question["answers"]:
                total_answers += 1
                if answer.get("student_id") is not None:
                    student_ids.add(answer["student_id"])
                else:
                    lms_user_ids.add(answer["lms_user_id"])
    if total_answers > MAX_UPLOAD_ANSWERS:
        raise ValidationFailed(
            "Invalid input: quizzes.",
            errors={"quizzes": [f"At most {MAX_UPLOAD_ANSWERS} answers per upload."]},
        )
    by_id, by_lms, ambiguous = _students_by_reference(
        course=course, student_ids=student_ids, lms_user_ids=lms_user_ids
    )
    quizzes: list[QuizData] = []
    for quiz_index, quiz in enumerate(quizzes_in):
        quiz_path = f"quizzes[{quiz_index}]"
        for question_id in _duplicates(question["id"] for question in quiz["questions"]):
            errors.setdefault(f"{quiz_path}.questions", []).append(
                f"Question id {question_id!r} appears more than once."
            )
        questions: list[QuestionData] = []
        for question_index, question in enumerate(quiz["questions"]):
            question_path = f"{quiz_path}.questions[{question_index}]"
            points = float(question["points"])
            answers: list[AnswerData] = []
            seen_students: set[int] = set()
            for answer_index, answer in enumerate(question["answers"]):
                path = f"{question_path}.answers[{answer_index}]"
                if answer.get("student_id") is not None:
                    student = by_id.get(answer["student_id"])
                    reference = "student_id"
                else:
                    student = by_lms.get(answer["lms_user_id"])
                    reference = "lms_user_id"
                    if answer["lms_user_id"] in ambiguous:
                        errors.setdefault(f"{path}.lms_user_id", []).append(
                            "Several accounts carry this LMS user id."
                        )
                        continue
                if student is None:
                    errors.setdefault(f"{path}.{reference}", []).append(
                        "Not a student of this course."
                    )
                    continue
                if student in seen_students:
                    errors.setdefault(path, []).append(
                        "This student already has an answer to this question."
                    )
                    continue
                seen_students.add(student)
                score = answer.get("score")
                if score is None:
                    score = points if answer["correct"] else 0.0
                if score > points + FULL_CREDIT_TOLERANCE:
                    errors.setdefault(f"{path}.score", []).append(
                        f"Above the question's points ({points:g})."
                    )
                    continue
                answers.append(
                    AnswerData(
                        student_id=student,
                        is_correct=answer["correct"],
                        score=float(score),
                        answered_at=answer.get("answered_at") or timezone.now(),
                    )
                )
            questions.append(
                QuestionData(
                    lms_id=question["id"],
                    position=question_index,
                    text=question["text"],
                    question_type=question["type"],
                    points_possible=points,
                    answers=answers,
                )
            )
        quizzes.append(QuizData(lms_id=quiz["id"], title=quiz["title"], questions=questions))
    if errors:
        raise ValidationFailed("Invalid input: " + ", ".join(sorted(errors)) + ".", errors=errors)
    result = assessments_store(course=course, source=Quiz.Source.UPLOAD, quizzes=quizzes)
    audit_record(
        actor=acting_user,
        action="course.assessments_upload",
        target=course,
        after={"quizzes": result.quizzes, "questions": result.questions, "answers": result.answers},
    )
    return result

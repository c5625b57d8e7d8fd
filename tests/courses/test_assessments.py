"""Uploading quiz results without an LMS, and the reads the at-risk work builds on."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import AuditLog
from courses import selectors
from courses.models import Course, Enrollment, Question, Quiz, StudentAnswer
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.courses.factories import (
    CourseFactory,
    EnrollmentFactory,
    QuestionFactory,
    QuizFactory,
    StudentAnswerFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(mentor):
    return CourseFactory(instructor=mentor)


@pytest.fixture
def students(course):
    alice = EnrollmentFactory(course=course, user=StudentFactory(lms_user_id="lms-a")).user
    bob = EnrollmentFactory(course=course).user
    return alice, bob


def document(alice, bob):
    return {
        "quizzes": [
            {
                "id": "w1",
                "title": "Week 1",
                "questions": [
                    {
                        "id": "w1-q1",
                        "text": "<p>What is the derivative of <b>x^2</b>?</p>",
                        "type": "short_answer",
                        "points": 1,
                        "answers": [
                            {"lms_user_id": "lms-a", "correct": True},
                            {
                                "student_id": bob.pk,
                                "correct": False,
                                "score": 0,
                                "answered_at": "2026-10-01T09:00:00Z",
                            },
                        ],
                    },
                    {
                        "id": "w1-q2",
                        "text": "Explain the chain rule.",
                        "type": "essay",
                        "points": 5,
                        "answers": [{"student_id": alice.pk, "correct": False, "score": 3.5}],
                    },
                ],
            },
            {
                "id": "w2",
                "title": "Week 2",
                "questions": [
                    {"id": "w2-q1", "text": "Integrate 2x.", "type": "numerical", "points": 1}
                ],
            },
        ]
    }


def url(course):
    return f"/api/v1/courses/{course.pk}/assessments"


def snapshot():
    return (
        sorted(Quiz.objects.values_list("course_id", "source", "lms_id", "title")),
        sorted(Question.objects.values_list("lms_id", "text", "question_type", "points_possible")),
        sorted(
            StudentAnswer.objects.values_list(
                "student_id", "question__lms_id", "is_correct", "score"
            )
        ),
    )


def test_upload_stores_everything(mentor_client, course, students):
    alice, bob = students

    response = mentor_client.post(url(course), document(alice, bob))

    assert response.status_code == 201
    assert response.json() == {"quizzes": 2, "questions": 3, "answers": 3}
    quizzes, questions, answers = snapshot()
    assert quizzes == [
        (course.pk, "upload", "w1", "Week 1"),
        (course.pk, "upload", "w2", "Week 2"),
    ]
    assert questions == [
        ("w1-q1", "What is the derivative of x^2?", "short_answer", 1.0),
        ("w1-q2", "Explain the chain rule.", "essay", 5.0),
        ("w2-q1", "Integrate 2x.", "numerical", 1.0),
    ]
    assert answers == sorted(
        [
            (alice.pk, "w1-q1", True, 1.0),
            (bob.pk, "w1-q1", False, 0.0),
            (alice.pk, "w1-q2", False, 3.5),
        ]
    )
    bob_answer = StudentAnswer.objects.get(student=bob)
    assert bob_answer.answered_at == datetime(2026, 10, 1, 9, tzinfo=UTC)
    assert AuditLog.objects.filter(action="course.assessments_upload").count() == 1


def test_uploading_again_updates_in_place(mentor_client, course, students):
    alice, bob = students
    mentor_client.post(url(course), document(alice, bob))
    ids = sorted(StudentAnswer.objects.values_list("id", flat=True))
    changed = document(alice, bob)
    changed["quizzes"][0]["questions"][0]["answers"][1]["correct"] = True
    changed["quizzes"][0]["questions"][0]["answers"][1]["score"] = 1

    response = mentor_client.post(url(course), changed)

    assert response.status_code == 201
    assert sorted(StudentAnswer.objects.values_list("id", flat=True)) == ids
    assert StudentAnswer.objects.get(student=bob).is_correct is True
    assert Quiz.objects.count() == 2


def mutate(path, value):
    """A copy of the document with the value at `path` replaced (None deletes it)."""

    def apply(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return doc

    return apply


Q1 = ["quizzes", 0, "questions", 0]
A1 = [*Q1, "answers", 0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (mutate(["quizzes"], []), "quizzes"),
        (mutate(["surprise"], 1), "surprise"),
        (mutate(["quizzes", 0, "title"], None), "quizzes"),
        (mutate([*Q1, "type"], "hot_spot"), "quizzes"),
        (mutate([*Q1, "points"], -1), "quizzes"),
        (mutate([*Q1, "text"], "<p> </p>"), "quizzes"),
        (mutate([*Q1, "id"], "has space"), "quizzes"),
        (mutate([*Q1, "colour"], "red"), "quizzes"),
        (mutate([*A1, "correct"], "yes"), "quizzes"),
        (mutate([*A1, "correct"], 1), "quizzes"),
        (mutate([*A1, "student_id"], 5), "quizzes"),
        (mutate([*A1, "lms_user_id"], None), "quizzes"),
        (mutate([*A1, "answered_at"], "yesterday"), "quizzes"),
        (mutate([*A1, "score"], -0.5), "quizzes"),
        (mutate([*A1, "score"], 2), "quizzes[0].questions[0].answers[0].score"),
        (mutate([*A1, "lms_user_id"], "nobody"), "quizzes[0].questions[0].answers[0].lms_user_id"),
        (mutate(["quizzes", 1, "id"], "w1"), "quizzes"),
        (mutate(["quizzes", 0, "questions", 1, "id"], "w1-q1"), "quizzes[0].questions"),
    ],
)
def test_bad_documents_are_refused_whole(mentor_client, course, students, change, field):
    alice, bob = students
    before = snapshot()

    response = mentor_client.post(url(course), change(document(alice, bob)))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert snapshot() == before


def test_students_of_other_courses_are_refused(mentor_client, course, students):
    alice, bob = students
    stranger = EnrollmentFactory().user
    doc = document(alice, bob)
    doc["quizzes"][0]["questions"][1]["answers"].append(
        {"student_id": stranger.pk, "correct": False}
    )

    response = mentor_client.post(url(course), doc)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "quizzes[0].questions[1].answers[1].student_id": ["Not a student of this course."]
    }
    assert StudentAnswer.objects.count() == 0


def test_a_student_answering_twice_is_refused(mentor_client, course, students):
    alice, bob = students
    doc = document(alice, bob)
    doc["quizzes"][0]["questions"][0]["answers"].append({"student_id": alice.pk, "correct": False})

    response = mentor_client.post(url(course), doc)

    assert response.status_code == 400
    assert "quizzes[0].questions[0].answers[2]" in response.json()["errors"]
    assert StudentAnswer.objects.count() == 0


def test_an_lms_id_claimed_by_two_students_is_refused(mentor_client, course, students):
    alice, bob = students
    EnrollmentFactory(course=course, user=StudentFactory(lms_user_id="lms-a"))

    response = mentor_client.post(url(course), document(alice, bob))

    assert response.status_code == 400
    assert response.json()["errors"]["quizzes[0].questions[0].answers[0].lms_user_id"] == [
        "Several accounts carry this LMS user id."
    ]


def test_only_the_instructor_and_staff_may_upload(course, students, staff):
    alice, bob = students
    other_mentor = CourseFactory().instructor

    assert client_for(alice).post(url(course), document(alice, bob)).status_code == 403
    assert client_for(other_mentor).post(url(course), document(alice, bob)).status_code == 403
    assert StudentAnswer.objects.count() == 0
    assert client_for(staff).post(url(course), document(alice, bob)).status_code == 201


def test_upload_to_a_hidden_course_is_a_404(student_client, mentor):
    course = CourseFactory(instructor=mentor, status=Course.Status.DRAFT)

    assert student_client.post(url(course), {"quizzes": []}).status_code == 404


# --- selectors -----------------------------------------------------------------------------------


def test_wrong_answer_share_counts_per_student_since_a_date(course, students):
    alice, bob = students
    idle = EnrollmentFactory(course=course).user
    now = datetime(2026, 10, 20, tzinfo=UTC)
    questions = QuestionFactory.create_batch(4, quiz=QuizFactory(course=course))
    for question, correct in zip(questions[:3], [False, False, True], strict=True):
        StudentAnswerFactory(student=alice, question=question, is_correct=correct, answered_at=now)
    StudentAnswerFactory(
        student=alice, question=questions[3], is_correct=False, answered_at=now - timedelta(days=30)
    )
    StudentAnswerFactory(student=bob, question=questions[0], is_correct=True, answered_at=now)
    StudentAnswerFactory(student=alice, is_correct=False)  # another course

    shares = selectors.wrong_answer_share(
        course_id=course.pk, user_ids=[alice.pk, bob.pk, idle.pk], since=now - timedelta(days=7)
    )

    assert shares == {
        alice.pk: {"answered": 3, "wrong": 2},
        bob.pk: {"answered": 1, "wrong": 0},
        idle.pk: {"answered": 0, "wrong": 0},
    }
    everything = selectors.wrong_answer_share(course_id=course.pk, user_ids=[alice.pk], since=None)
    assert everything == {alice.pk: {"answered": 4, "wrong": 3}}


def test_wrong_answer_share_is_one_query(course, students, django_assert_num_queries):
    alice, bob = students
    StudentAnswerFactory.create_batch(5, student=alice, question__quiz__course=course)

    with django_assert_num_queries(1):
        selectors.wrong_answer_share(course_id=course.pk, user_ids=[alice.pk, bob.pk], since=None)


def test_wrong_answer_share_takes_a_subquery_of_ids(course, students, django_assert_num_queries):
    alice, _bob = students
    StudentAnswerFactory.create_batch(2, student=alice, question__quiz__course=course)
    StudentAnswerFactory(student=StudentFactory(), question__quiz__course=course)  # not asked
    ids = Enrollment.objects.filter(course=course).values_list("user_id", flat=True)

    # one query: the ids stay a subquery, never a list
    with django_assert_num_queries(1):
        shares = selectors.wrong_answer_share(course_id=course.pk, user_ids=ids, since=None)

    assert shares == {alice.pk: {"answered": 2, "wrong": 2}}


def test_wrong_answers_are_the_users_own_in_quiz_order(course, students):
    alice, bob = students
    quiz = QuizFactory(course=course)
    second = QuestionFactory(quiz=quiz, position=2)
    first = QuestionFactory(quiz=quiz, position=1)
    StudentAnswerFactory(student=alice, question=second)
    StudentAnswerFactory(student=alice, question=first)
    StudentAnswerFactory(student=alice, question=QuestionFactory(quiz=quiz), is_correct=True)
    StudentAnswerFactory(student=bob, question=first)

    rows = list(selectors.wrong_answers(course_id=course.pk, user_id=alice.pk))

    assert [row.question_id for row in rows] == [first.pk, second.pk]
    assert {row.student_id for row in rows} == {alice.pk}
    assert Enrollment.objects.count() == 2

"""GET /courses/{id}/at-risk (instructor, staff) and GET /courses/{id}/my-risk (the course's
students), against known data."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Course, Enrollment
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.attendance.factories import DailyAttendanceFactory, VideoProgressFactory
from tests.conftest import client_for
from tests.courses.factories import (
    CourseFactory,
    EnrollmentFactory,
    QuestionFactory,
    QuizFactory,
    StudentAnswerFactory,
)
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thresholds(settings):
    """The thresholds these tests are written against, whatever the environment says."""
    settings.AT_RISK_WINDOW_DAYS = 14
    settings.AT_RISK_WRONG_SHARE_MEDIUM = 0.3
    settings.AT_RISK_WRONG_SHARE_HIGH = 0.5
    settings.AT_RISK_MIN_ANSWERS = 5
    settings.AT_RISK_ABSENT_DAYS_MEDIUM = 5
    settings.AT_RISK_ABSENT_DAYS_HIGH = 8
    settings.AT_RISK_MIN_WATCH_SECONDS = 3600


def at_risk(course, query: str = "") -> str:
    return f"/api/v1/courses/{course.pk}/at-risk" + (f"?{query}" if query else "")


def my_risk(course) -> str:
    return f"/api/v1/courses/{course.pk}/my-risk"


def answers(student, course, *, wrong: int, right: int, days_ago: int = 1) -> None:
    quiz = QuizFactory(course=course)
    moment = timezone.now() - timedelta(days=days_ago)
    for correct in [False] * wrong + [True] * right:
        StudentAnswerFactory(
            student=student,
            question=QuestionFactory(quiz=quiz),
            is_correct=correct,
            answered_at=moment,
        )


def absent(student, *days_ago: int) -> None:
    today = timezone.localdate()
    for days in days_ago:
        DailyAttendanceFactory(user=student, date=today - timedelta(days=days), status="absent")


def watched(student, video, seconds: int, days_ago: int = 1) -> None:
    VideoProgressFactory(
        user=student,
        video=video,
        date=timezone.localdate() - timedelta(days=days_ago),
        watch_seconds=seconds,
    )


@pytest.fixture
def course(mentor):
    return CourseFactory(instructor=mentor)


@pytest.fixture
def video(course):
    return VideoFactory(course=course)


@pytest.fixture
def classroom(course, video):
    """Five students, each enrolled 30 days ago, with what decides their level:

    - alice: 6 of 10 answers wrong in the window (high); 10 right ones before it do not count.
    - bob: absent 5 days in the window (medium); 4 more before it do not count.
    - carol: 1 of 5 wrong, absent 4 days, watched exactly the minimum (low).
    - dave: nothing at all (medium, no_activity).
    - frank: watched 3000 s in the window (medium); 9000 s before it do not count.
    """
    enrolled_at = timezone.now() - timedelta(days=30)
    alice, bob, carol, dave, frank = (
        EnrollmentFactory(course=course, enrolled_at=enrolled_at).user for _ in range(5)
    )
    answers(alice, course, wrong=6, right=4)
    answers(alice, course, wrong=0, right=10, days_ago=20)
    watched(alice, video, 4000)
    absent(bob, 1, 2, 3, 4, 5)
    absent(bob, 20, 21, 22, 23)
    watched(bob, video, 4000)
    answers(carol, course, wrong=1, right=4)
    absent(carol, 1, 2, 3, 4)
    watched(carol, video, 3600)
    watched(frank, video, 3000)
    watched(frank, video, 9000, days_ago=20)
    # never listed: a dropped student, a teaching assistant, another course's student
    EnrollmentFactory(course=course, status=Enrollment.Status.DROPPED)
    EnrollmentFactory(course=course, role=Enrollment.Role.TA)
    EnrollmentFactory(course=CourseFactory())
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave, "frank": frank}


def window() -> dict:
    today = timezone.localdate()
    return {"from": (today - timedelta(days=13)).isoformat(), "to": today.isoformat(), "days": 14}


def student_body(user) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


# --- at-risk --------------------------------------------------------------------------------


def test_the_instructor_sees_every_student_highest_level_first(mentor_client, course, classroom):
    response = mentor_client.get(at_risk(course))

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (5, None, None)
    names = {user.pk: name for name, user in classroom.items()}
    assert [(names[row["student"]["id"]], row["level"]) for row in body["results"]] == [
        ("alice", "high"),
        ("bob", "medium"),
        ("dave", "medium"),
        ("frank", "medium"),
        ("carol", "low"),
    ]
    assert [
        [(reason["code"], reason["level"]) for reason in row["reasons"]] for row in body["results"]
    ] == [
        [("wrong_answers", "high")],
        [("absences", "medium")],
        [("no_activity", "medium")],
        [("low_watch_time", "medium")],
        [],
    ]


def test_each_student_comes_with_reasons_figures_and_window(mentor_client, course, classroom):
    rows = mentor_client.get(at_risk(course)).json()["results"]

    assert rows[0] == {
        "student": student_body(classroom["alice"]),
        "level": "high",
        "reasons": [
            {
                "code": "wrong_answers",
                "level": "high",
                "message": "Answered 6 of 10 questions wrong (60%) in the last 14 days.",
                "value": 0.6,
                "threshold": 0.5,
            }
        ],
        "figures": {
            "questions_answered": 10,
            "wrong_answers": 6,
            "wrong_share": 0.6,
            "absent_days": 0,
            "watch_seconds": 4000,
            "required_watch_seconds": 3600,
            "days_enrolled": 14,
        },
        "window": window(),
    }
    assert rows[2]["figures"] == {
        "questions_answered": 0,
        "wrong_answers": 0,
        "wrong_share": None,
        "absent_days": 0,
        "watch_seconds": 0,
        "required_watch_seconds": 3600,
        "days_enrolled": 14,
    }
    assert rows[3]["reasons"] == [
        {
            "code": "low_watch_time",
            "level": "medium",
            "message": "Watched 50 min of the course's videos in the last 14 days; "
            "at least 60 min expected.",
            "value": 3000.0,
            "threshold": 3600.0,
        }
    ]


def test_staff_see_the_list_too(staff_client, course, classroom):
    response = staff_client.get(at_risk(course))
    assert (response.status_code, response.json()["count"]) == (200, 5)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=high", ["alice"]),
        ("level=low", ["carol"]),
        ("level=high&level=medium", ["alice", "bob", "dave", "frank"]),
    ],
)
def test_the_list_filters_by_level(mentor_client, course, classroom, query, expected):
    names = {user.pk: name for name, user in classroom.items()}

    body = mentor_client.get(at_risk(course, query)).json()

    assert [names[row["student"]["id"]] for row in body["results"]] == expected
    assert body["count"] == len(expected)


@pytest.mark.parametrize("query", ["level=bogus", "level=", "level=high&level=HIGH"])
def test_an_unknown_level_is_a_400_with_the_error_body(mentor_client, course, classroom, query):
    response = mentor_client.get(at_risk(course, query))

    assert response.status_code == 400
    body = response.json()
    assert (body["status_code"], body["code"], body["message"]) == (
        400,
        "invalid",
        "Invalid input: level.",
    )
    assert list(body["errors"]) == ["level"]


def test_the_list_is_paginated(mentor_client, course, classroom):
    first = mentor_client.get(at_risk(course, "page_size=2")).json()
    last = mentor_client.get(at_risk(course, "page_size=2&page=3")).json()

    assert first["count"] == 5
    assert [row["level"] for row in first["results"]] == ["high", "medium"]
    assert first["next"].endswith("page=2&page_size=2")
    assert [row["level"] for row in last["results"]] == ["low"]
    assert last["next"] is None


@pytest.mark.parametrize(
    ("query", "status_code"),
    [("page_size=0", 400), ("page_size=101", 400), ("page=9", 404), ("page=x", 404)],
)
def test_bad_pages_are_refused(mentor_client, course, classroom, query, status_code):
    response = mentor_client.get(at_risk(course, query))
    assert response.status_code == status_code
    assert response.json()["status_code"] == status_code


def test_a_course_without_students_has_an_empty_list(mentor_client, course):
    assert mentor_client.get(at_risk(course)).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.fixture
def people(course):
    """Every kind of caller of a published course."""
    enrolled = EnrollmentFactory(course=course).user
    dropped = EnrollmentFactory(course=course, status=Enrollment.Status.DROPPED).user
    return {
        "instructor": course.instructor,
        "staff": AdminFactory(),
        "other_mentor": MentorFactory(),
        "student": enrolled,
        "dropped_student": dropped,
        "other_student": StudentFactory(),
    }


@pytest.mark.parametrize("role", ["instructor", "staff"])
def test_the_instructor_and_staff_see_the_list(people, course, role):
    response = client_for(people[role]).get(at_risk(course))

    assert response.status_code == 200
    assert [row["student"]["id"] for row in response.json()["results"]] == [people["student"].pk]


@pytest.mark.parametrize("role", ["other_mentor", "student", "dropped_student", "other_student"])
def test_anyone_else_gets_a_403_for_the_list(people, course, role):
    # As for the course's other manager-only resources (students, lms-sync, assessments).
    response = client_for(people[role]).get(at_risk(course))

    assert response.status_code == 403
    assert response.json() == {
        "status_code": 403,
        "code": "not_course_manager",
        "message": "Only the course's instructor or staff may do this.",
    }


def test_a_bad_level_from_someone_who_may_not_see_the_list_is_still_a_403(people, course):
    response = client_for(people["student"]).get(at_risk(course, "level=bogus"))
    assert response.status_code == 403


def test_an_enrolled_student_has_a_level_of_their_own(people, course):
    response = client_for(people["student"]).get(my_risk(course))

    assert response.status_code == 200
    assert response.json()["student"]["id"] == people["student"].pk


@pytest.mark.parametrize(
    "role", ["instructor", "staff", "other_mentor", "dropped_student", "other_student"]
)
def test_anyone_but_the_courses_students_gets_a_404_for_my_risk(people, course, role):
    response = client_for(people[role]).get(my_risk(course))

    assert response.status_code == 404
    assert response.json() == {
        "status_code": 404,
        "code": "not_enrolled",
        "message": "You are not a student of this course.",
    }


def test_a_student_sees_exactly_their_own_entry(course, classroom):
    bob = classroom["bob"]

    response = client_for(bob).get(my_risk(course))

    assert response.status_code == 200
    assert response.json() == {
        "student": student_body(bob),
        "level": "medium",
        "reasons": [
            {
                "code": "absences",
                "level": "medium",
                "message": "Absent 5 of the last 14 days.",
                "value": 5.0,
                "threshold": 5.0,
            }
        ],
        "figures": {
            "questions_answered": 0,
            "wrong_answers": 0,
            "wrong_share": None,
            "absent_days": 5,
            "watch_seconds": 4000,
            "required_watch_seconds": 3600,
            "days_enrolled": 14,
        },
        "window": window(),
    }


@pytest.mark.parametrize("path", ["at-risk", "my-risk"])
def test_unknown_and_invisible_courses_are_404(mentor, student, path):
    draft = CourseFactory(instructor=mentor, status=Course.Status.DRAFT)
    EnrollmentFactory(course=CourseFactory(), user=student)

    for course_id in (draft.pk, 999_999):
        response = client_for(student).get(f"/api/v1/courses/{course_id}/{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["at-risk", "my-risk"])
def test_anonymous_callers_are_401(api_client, course, path):
    response = api_client.get(f"/api/v1/courses/{course.pk}/{path}")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("path", ["at-risk", "my-risk"])
def test_only_get_is_allowed(mentor_client, course, path):
    response = mentor_client.post(f"/api/v1/courses/{course.pk}/{path}")
    assert response.status_code == 405


@pytest.mark.parametrize("size", [2, 30])
def test_the_list_costs_six_queries_whatever_the_number_of_students(
    mentor, course, video, size, django_assert_num_queries
):
    quiz = QuizFactory(course=course)
    for index in range(size):
        student = EnrollmentFactory(course=course).user
        StudentAnswerFactory(student=student, question=QuestionFactory(quiz=quiz))
        absent(student, 1)
        watched(student, video, index)
    client = client_for(mentor)

    # user, course access, enrollments with users, answers, absent days, watch time
    with django_assert_num_queries(6):
        response = client.get(at_risk(course, "page_size=100"))

    assert len(response.json()["results"]) == size


def test_my_risk_costs_six_queries(course, classroom, django_assert_num_queries):
    client = client_for(classroom["alice"])

    # user, course access, the caller's enrollment, answers, absent days, watch time
    with django_assert_num_queries(6):
        response = client.get(my_risk(course))

    assert response.json()["level"] == "high"


def test_the_schema_documents_both_endpoints(staff_client):
    schema = staff_client.get("/api/v1/schema/?format=json").json()

    listing = schema["paths"]["/api/v1/courses/{id}/at-risk"]["get"]
    mine = schema["paths"]["/api/v1/courses/{id}/my-risk"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedStudentRiskList"
    }
    assert mine["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StudentRisk"
    }
    assert {"400", "401", "403", "404"} <= set(listing["responses"])
    assert "level" in [parameter["name"] for parameter in listing["parameters"]]
    components = schema["components"]["schemas"]
    assert set(components["StudentRisk"]["properties"]) == {
        "student",
        "level",
        "reasons",
        "figures",
        "window",
    }
    assert set(components["RiskReason"]["properties"]) == {
        "code",
        "level",
        "message",
        "value",
        "threshold",
    }
    assert components["RiskLevelEnum"]["enum"] == ["low", "medium", "high"]
